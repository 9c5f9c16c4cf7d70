#pragma once

// Test driver for RequestParser: plays the role of the server's connection (a buffer of
// unconsumed bytes, appended to on every read), records what the parser reports and checks
// the step invariants (split_driver.hpp). Inputs can be placed right before a PROT_NONE page so
// any read past the end of the input crashes the test.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/http/request_parser.hpp"
#include "http/split_driver.hpp"

namespace anvil::http::test {

struct Request {
  std::string method, target, path, query, host;
  TargetForm form = TargetForm::origin;
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  BodyFraming framing = BodyFraming::none;
  bool keep_alive = true;
  bool expect_continue = false;
  bool upgrade_websocket = false;
  bool operator==(const Request&) const = default;
};

struct RequestOutcome {
  std::vector<Request> requests;
  ParseError error = ParseError::none;
  bool operator==(const RequestOutcome&) const = default;
};

inline void PrintTo(const Request& r, std::ostream* os) {
  *os << "{" << r.method << " " << r.target << " HTTP/1." << r.minor_version
      << " framing=" << to_string(r.framing) << " ka=" << r.keep_alive
      << " headers=" << r.headers.size() << " body=" << r.body.size() << "B}";
}
inline void PrintTo(const RequestOutcome& o, std::ostream* os) {
  *os << "{requests=" << o.requests.size() << " error=" << to_string(o.error) << "}";
}

// What drive_session() needs to know about the request parser.
struct RequestSession {
  using Message = Request;
  static constexpr bool kHeadConsumedWhole = true;
  RequestParser parser;

  void on_head(Request& current) {
    const RequestHead& h = parser.head();
    current.method = std::string(h.method);
    current.target = std::string(h.target);
    current.path = std::string(h.path());
    current.query = std::string(h.query());
    current.host = std::string(h.host);
    current.form = h.target_form;
    current.minor_version = h.minor_version;
    for (const Header& f : h.headers())
      current.headers.emplace_back(f.name, f.value);
    current.framing = h.framing;
    current.keep_alive = h.keep_alive;
    current.expect_continue = h.expect_continue;
    current.upgrade_websocket = h.upgrade_websocket;
    EXPECT_EQ(parser.error_status(), 0);
  }
  void on_error() { EXPECT_GE(parser.error_status(), 400); }
  void start_next() { parser.start(); }
};

// Feeds `pieces` in order as successive reads of one connection. eof: the client closes
// after the last piece.
inline RequestOutcome drive_requests(const std::vector<std::string_view>& pieces, bool eof,
                                     GuardedBuffer* guard = nullptr,
                                     const RequestLimits& limits = {}) {
  RequestSession session{RequestParser(limits)};
  RequestOutcome out;
  drive_session(session, pieces, eof, guard, out.requests, out.error);
  return out;
}

inline RequestOutcome drive_request_whole(std::string_view wire, bool eof = true,
                                          const RequestLimits& limits = {}) {
  return drive_requests({wire}, eof, nullptr, limits);
}

// Every two-piece split (every `stride`-th one for large inputs), and byte by byte when
// stride is 1, each behind a guard page, must give `expected`.
inline void expect_request_split_invariant(std::string_view wire, const RequestOutcome& expected,
                                           bool eof = true, const RequestLimits& limits = {},
                                           size_t stride = 1) {
  expect_every_split(wire, expected, stride,
                     [&](const std::vector<std::string_view>& pieces, GuardedBuffer* guard) {
                       return drive_requests(pieces, eof, guard, limits);
                     });
}

}  // namespace anvil::http::test
