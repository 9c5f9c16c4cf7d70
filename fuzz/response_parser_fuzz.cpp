// Fuzz target for anvil::http::ResponseParser.
// Input: byte 0 = which responses answer HEAD (bit i: response i), byte 1 = seed for split
// points, the rest = the bytes a server sent. The bytes are parsed twice, in one piece and in
// pieces of seeded random sizes, each call on an exact-size heap copy (so ASan sees any read
// past the end). Checked: consumed <= input, body views inside the consumed input, body bytes
// == Content-Length when complete, and both runs give the same responses and error.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "anvil/http/response_parser.hpp"
#include "parser_fuzz.hpp"

namespace {

using anvil::http::ResponseParser;

struct Session {
  ResponseParser parser;
  uint8_t head_bits;
  int index = 0;

  bool head_request() const { return index < 8 && ((head_bits >> index) & 1) != 0; }
  void on_head(std::string_view) {
    FUZZ_CHECK(parser.head().field_count <= anvil::http::kMaxHeaders);
  }
  // Per response: status, framing, keep_alive, body size, body hash.
  void on_complete(std::vector<uint64_t>& facts, uint64_t body_size, uint64_t hash) {
    const auto& h = parser.head();
    facts.insert(facts.end(), {static_cast<uint64_t>(h.status), static_cast<uint64_t>(h.framing),
                               static_cast<uint64_t>(h.keep_alive), body_size, hash});
    ++index;
    parser.start(head_request());
  }
  void on_error() {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  const uint8_t head_bits = data[0];
  anvil::http::fuzz::check_split_agrees(wire, data[1], [&] {
    Session session{ResponseParser(), head_bits};
    session.parser.start(session.head_request());
    return session;
  });
  return 0;
}
