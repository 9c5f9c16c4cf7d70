// Fuzz target for anvil::http::RequestParser.
// Input: byte 0 = seed for split points, byte 1 = limits (bit 0: small limits, so the 413, 414
// and 431 paths are reachable with short inputs), the rest = the bytes a client sent. The bytes
// are parsed twice, in one piece and in pieces of seeded random sizes, each call on an
// exact-size heap copy (so ASan sees any read past the end). Checked: consumed <= input, body
// views inside the consumed input, body bytes == Content-Length when complete, error statuses
// from the documented set, head views inside the input, and both runs give the same requests
// and error.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "anvil/http/request_parser.hpp"
#include "parser_fuzz.hpp"

namespace {

using anvil::http::BodyFraming;
using anvil::http::RequestLimits;
using anvil::http::RequestParser;
using anvil::http::fuzz::fnv;
using anvil::http::fuzz::inside;

struct Session {
  RequestParser parser;
  RequestLimits limits;
  uint64_t head_hash = 0;  // of the method and target of the request in progress

  void on_head(std::string_view input) {
    const auto& h = parser.head();
    FUZZ_CHECK(h.field_count <= limits.max_headers);
    FUZZ_CHECK(!h.method.empty() && !h.target.empty());
    FUZZ_CHECK(inside(h.method, input) && inside(h.target, input));
    FUZZ_CHECK(inside(h.query(), input));
    for (const auto& f : h.headers())
      FUZZ_CHECK(inside(f.name, input) && inside(f.value, input));
    FUZZ_CHECK(h.framing != BodyFraming::until_close);
    if (h.framing == BodyFraming::content_length) {
      FUZZ_CHECK(h.content_length <= limits.max_body);
    }
    head_hash = fnv(fnv(1, h.method), h.target);
  }
  // Per request: method+target hash, framing, flags, body size, body hash.
  void on_complete(std::vector<uint64_t>& facts, uint64_t body_size, uint64_t hash) {
    const auto& h = parser.head();
    FUZZ_CHECK(body_size <= limits.max_body);
    facts.insert(facts.end(), {head_hash, static_cast<uint64_t>(h.framing),
                               static_cast<uint64_t>(h.keep_alive | (h.expect_continue << 1) |
                                                     (h.upgrade_websocket << 2)),
                               body_size, hash});
    parser.start();
  }
  void on_error() {
    const int status = parser.error_status();
    FUZZ_CHECK(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
               status == 505);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  RequestLimits limits;
  if ((data[1] & 1) != 0) {
    limits.max_request_line = 40;
    limits.max_head_bytes = 200;
    limits.max_headers = 4;
    limits.max_body = 64;
  }
  anvil::http::fuzz::check_split_agrees(wire, data[0], [&] {
    return Session{RequestParser(limits), limits};
  });
  return 0;
}
