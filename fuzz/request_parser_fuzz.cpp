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
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/http/request_parser.hpp"

namespace {

using anvil::http::BodyFraming;
using anvil::http::ParseError;
using anvil::http::RequestLimits;
using anvil::http::RequestParser;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Summary {
  std::vector<uint64_t> facts;  // per request: method+target hash, framing, flags, body, hash
  ParseError error = ParseError::none;
  bool operator==(const Summary&) const = default;
};

uint64_t fnv(uint64_t h, std::string_view s) {
  for (char c : s)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

Summary run(std::string_view wire, const RequestLimits& limits, uint8_t seed, bool split) {
  RequestParser parser(limits);
  Summary out;
  std::string pending;
  uint64_t body_size = 0, hash = 1469598103934665603ull, head_hash = 0;
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
      const RequestParser::Step step = parser.next(input);
      FUZZ_CHECK(step.consumed <= input.size());
      if (!step.body.empty()) {
        FUZZ_CHECK(step.body.data() >= input.data());
        FUZZ_CHECK(step.body.data() + step.body.size() <= input.data() + step.consumed);
        body_size += step.body.size();
        hash = fnv(hash, step.body);
      }
      switch (step.event) {
        case RequestParser::Event::head: {
          const auto& h = parser.head();
          FUZZ_CHECK(step.consumed > 0);
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
          break;
        }
        case RequestParser::Event::body:
          FUZZ_CHECK(step.consumed > 0);
          break;
        case RequestParser::Event::complete: {
          const auto& h = parser.head();
          if (h.framing == BodyFraming::content_length) FUZZ_CHECK(body_size == h.content_length);
          FUZZ_CHECK(parser.body_bytes() == body_size);
          FUZZ_CHECK(body_size <= limits.max_body);
          out.facts.insert(out.facts.end(),
                           {head_hash, static_cast<uint64_t>(h.framing),
                            static_cast<uint64_t>(h.keep_alive | (h.expect_continue << 1) |
                                                  (h.upgrade_websocket << 2)),
                            body_size, hash});
          body_size = 0;
          hash = 1469598103934665603ull;
          parser.start();
          break;
        }
        case RequestParser::Event::error: {
          FUZZ_CHECK(parser.error() != ParseError::none);
          const int status = parser.error_status();
          FUZZ_CHECK(status == 400 || status == 413 || status == 414 || status == 431 ||
                     status == 501 || status == 505);
          out.error = parser.error();
          return out;
        }
        case RequestParser::Event::need_more:
          more = false;
          break;
      }
      pending.erase(0, step.consumed);
    }
    if (at >= wire.size()) break;
  }
  const RequestParser::Step step = parser.finish_eof();
  if (step.event == RequestParser::Event::complete) {
    out.facts.push_back(body_size);
  } else if (step.event == RequestParser::Event::error) {
    out.error = parser.error();
  }
  return out;
}

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
  const Summary whole = run(wire, limits, data[0], false);
  const Summary pieces = run(wire, limits, data[0], true);
  FUZZ_CHECK(whole == pieces);
  return 0;
}
