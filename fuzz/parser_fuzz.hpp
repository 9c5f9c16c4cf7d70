#pragma once

// What the request and response parser fuzz targets share: the bytes are parsed twice, in one
// piece and in pieces of seeded random sizes, each call on an exact-size heap copy (so ASan
// sees any read past the end); the pull interface's invariants are checked at every step and
// both runs must give the same messages and error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/http/message_parser.hpp"

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace anvil::http::fuzz {

struct Summary {
  std::vector<uint64_t> facts;  // per message, as the session records it
  ParseError error = ParseError::none;
  bool operator==(const Summary&) const = default;
};

inline constexpr uint64_t kFnvBasis = 1469598103934665603ull;

inline uint64_t fnv(uint64_t h, std::string_view s) {
  for (char c : s)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// `part` is empty or lies inside `whole`.
inline bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Runs `wire` through session.parser as one connection that closes at its end; split: in
// seeded random pieces of 1..24 bytes. The Session supplies what differs between the sides:
//   Parser parser;                   // RequestParser or ResponseParser, already start()ed
//   void on_head(std::string_view input);   // after Event::head: check the head
//   void on_complete(std::vector<uint64_t>& facts, uint64_t body_size, uint64_t body_hash);
//                                    // record the message and parser.start(...) the next
//   void on_error();                 // after Event::error: check the error
template <typename Session>
Summary run(Session& session, std::string_view wire, uint8_t seed, bool split) {
  auto& parser = session.parser;
  Summary out;
  std::string pending;
  uint64_t body_size = 0, hash = kFnvBasis;
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
      const ParseStep step = parser.next(input);
      FUZZ_CHECK(step.consumed <= input.size());
      if (!step.body.empty()) {
        FUZZ_CHECK(step.body.data() >= input.data());
        FUZZ_CHECK(step.body.data() + step.body.size() <= input.data() + step.consumed);
        body_size += step.body.size();
        hash = fnv(hash, step.body);
      }
      switch (step.event) {
        case ParseEvent::head:
          FUZZ_CHECK(step.consumed > 0);
          session.on_head(input);
          break;
        case ParseEvent::body:
          FUZZ_CHECK(step.consumed > 0);
          break;
        case ParseEvent::complete: {
          const auto& h = parser.head();
          if (h.framing == BodyFraming::content_length) FUZZ_CHECK(body_size == h.content_length);
          FUZZ_CHECK(parser.body_bytes() == body_size);
          session.on_complete(out.facts, body_size, hash);
          body_size = 0;
          hash = kFnvBasis;
          break;
        }
        case ParseEvent::error:
          FUZZ_CHECK(parser.error() != ParseError::none);
          session.on_error();
          out.error = parser.error();
          return out;
        case ParseEvent::need_more:
          more = false;
          break;
      }
      pending.erase(0, step.consumed);
    }
    if (at >= wire.size()) break;
  }
  const ParseStep step = parser.finish_eof();
  if (step.event == ParseEvent::complete) {
    out.facts.push_back(body_size);
  } else if (step.event == ParseEvent::error) {
    out.error = parser.error();
  }
  return out;
}

// make_session() -> a fresh Session; the whole input and its seeded split must agree.
template <typename MakeSession>
void check_split_agrees(std::string_view wire, uint8_t seed, MakeSession&& make_session) {
  auto whole_session = make_session();
  const Summary whole = run(whole_session, wire, seed, false);
  auto split_session = make_session();
  const Summary pieces = run(split_session, wire, seed, true);
  FUZZ_CHECK(whole == pieces);
}

}  // namespace anvil::http::fuzz
