// Fuzz target for anvil::http::ResponseParser.
// Input: byte 0 = which responses answer HEAD (bit i: response i), byte 1 = seed for split
// points, the rest = the bytes a server sent. The bytes are parsed twice, in one piece and in
// pieces of seeded random sizes, each call on an exact-size heap copy (so ASan sees any read
// past the end). Checked: consumed <= input, body views inside the consumed input, body bytes
// == Content-Length when complete, and both runs give the same responses and error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/http/response_parser.hpp"

namespace {

using anvil::http::BodyFraming;
using anvil::http::ParseError;
using anvil::http::ResponseParser;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Summary {
  std::vector<uint64_t> facts;  // per response: status, framing, keep_alive, body size, hash
  ParseError error = ParseError::none;
  bool operator==(const Summary&) const = default;
};

Summary run(std::string_view wire, uint8_t head_bits, uint8_t seed, bool split) {
  ResponseParser parser;
  Summary out;
  int index = 0;
  auto head_request = [&] { return index < 8 && ((head_bits >> index) & 1) != 0; };
  parser.start(head_request());
  std::string pending;
  uint64_t body_size = 0, hash = 1469598103934665603ull;
  uint32_t state = seed * 2654435761u + 1;
  size_t at = 0;
  while (true) {
    if (at < wire.size()) {
      size_t piece = wire.size() - at;
      if (split) {
        state = state * 1103515245u + 12345u;
        piece = std::min<size_t>(piece, 1 + (state >> 16) % 24);
      }
      pending.append(wire.substr(at, piece));
      at += piece;
    }
    bool more = true;
    while (more) {
      std::unique_ptr<char[]> copy(new char[pending.size()]);
      if (!pending.empty()) std::memcpy(copy.get(), pending.data(), pending.size());
      const std::string_view input(copy.get(), pending.size());
      const ResponseParser::Step step = parser.next(input);
      FUZZ_CHECK(step.consumed <= input.size());
      if (!step.body.empty()) {
        FUZZ_CHECK(step.body.data() >= input.data());
        FUZZ_CHECK(step.body.data() + step.body.size() <= input.data() + step.consumed);
        body_size += step.body.size();
        for (char c : step.body)
          hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
      }
      switch (step.event) {
        case ResponseParser::Event::head:
          FUZZ_CHECK(step.consumed > 0);
          FUZZ_CHECK(parser.head().field_count <= anvil::http::kMaxHeaders);
          break;
        case ResponseParser::Event::body:
          FUZZ_CHECK(step.consumed > 0);
          break;
        case ResponseParser::Event::complete: {
          const auto& h = parser.head();
          if (h.framing == BodyFraming::content_length) FUZZ_CHECK(body_size == h.content_length);
          FUZZ_CHECK(parser.body_bytes() == body_size);
          out.facts.insert(out.facts.end(),
                           {static_cast<uint64_t>(h.status), static_cast<uint64_t>(h.framing),
                            static_cast<uint64_t>(h.keep_alive), body_size, hash});
          body_size = 0;
          hash = 1469598103934665603ull;
          ++index;
          parser.start(head_request());
          break;
        }
        case ResponseParser::Event::error:
          FUZZ_CHECK(parser.error() != ParseError::none);
          out.error = parser.error();
          return out;
        case ResponseParser::Event::need_more:
          more = false;
          break;
      }
      pending.erase(0, step.consumed);
    }
    if (at >= wire.size()) break;
  }
  const ResponseParser::Step step = parser.finish_eof();
  if (step.event == ResponseParser::Event::complete) {
    out.facts.push_back(body_size);
  } else if (step.event == ResponseParser::Event::error) {
    out.error = parser.error();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Summary whole = run(wire, data[0], data[1], false);
  const Summary pieces = run(wire, data[0], data[1], true);
  FUZZ_CHECK(whole == pieces);
  return 0;
}
