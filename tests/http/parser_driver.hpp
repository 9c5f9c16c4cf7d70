#pragma once

// Test driver for ResponseParser: plays the role of the load generator's connection (a buffer
// of unconsumed bytes, appended to on every read), records what the parser reports and checks
// the step invariants (split_driver.hpp). Inputs can be placed right before a PROT_NONE page so
// any read past the end of the input crashes the test.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/http/response_parser.hpp"
#include "http/split_driver.hpp"

namespace anvil::http::test {

struct Response {
  int status = 0;
  int minor_version = 1;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  BodyFraming framing = BodyFraming::none;
  bool keep_alive = false;
  bool framing_conflict = false;
  uint32_t interim = 0;
  bool operator==(const Response&) const = default;
};

struct Outcome {
  std::vector<Response> responses;
  ParseError error = ParseError::none;
  bool operator==(const Outcome&) const = default;
};

inline void PrintTo(const Response& r, std::ostream* os) {
  *os << "{" << r.status << " framing=" << to_string(r.framing) << " ka=" << r.keep_alive
      << " headers=" << r.headers.size() << " body=" << r.body.size() << "B}";
}
inline void PrintTo(const Outcome& o, std::ostream* os) {
  *os << "{responses=" << o.responses.size() << " error=" << to_string(o.error) << "}";
}

// What drive_session() needs to know about the response parser.
struct ResponseSession {
  using Message = Response;
  // 1xx interim responses are skipped and consumed while the final head is incomplete.
  static constexpr bool kHeadConsumedWhole = false;
  ResponseParser parser;
  const std::vector<bool>& head_requests;
  size_t index = 0;

  bool is_head() const { return index < head_requests.size() && head_requests[index]; }
  void on_head(Response& current) {
    const ResponseHead& h = parser.head();
    current.status = h.status;
    current.minor_version = h.minor_version;
    current.reason = std::string(h.reason);
    for (const Header& f : h.headers())
      current.headers.emplace_back(f.name, f.value);
    current.framing = h.framing;
    current.keep_alive = h.keep_alive;
    current.framing_conflict = h.framing_conflict;
    current.interim = parser.interim_count();
  }
  void on_error() {}
  void start_next() {
    ++index;
    parser.start(is_head());
  }
};

// Feeds `pieces` in order as successive reads of one connection; head_requests[i] says
// whether the i-th response answers a HEAD (missing entries: false). eof: the peer closes
// after the last piece.
inline Outcome drive(const std::vector<std::string_view>& pieces,
                     const std::vector<bool>& head_requests, bool eof,
                     GuardedBuffer* guard = nullptr, const ParserLimits& limits = {}) {
  ResponseSession session{ResponseParser(limits), head_requests};
  session.parser.start(session.is_head());
  Outcome out;
  drive_session(session, pieces, eof, guard, out.responses, out.error);
  return out;
}

inline Outcome drive_whole(std::string_view wire, const std::vector<bool>& head_requests = {},
                           bool eof = true, const ParserLimits& limits = {}) {
  return drive({wire}, head_requests, eof, nullptr, limits);
}

// Every two-piece split (every `stride`-th one for large inputs), and byte by byte when
// stride is 1, each behind a guard page, must give `expected`.
inline void expect_split_invariant(std::string_view wire, const Outcome& expected,
                                   const std::vector<bool>& head_requests = {}, bool eof = true,
                                   const ParserLimits& limits = {}, size_t stride = 1) {
  expect_every_split(wire, expected, stride,
                     [&](const std::vector<std::string_view>& pieces, GuardedBuffer* guard) {
                       return drive(pieces, head_requests, eof, guard, limits);
                     });
}

}  // namespace anvil::http::test
