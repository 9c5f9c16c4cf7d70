#pragma once

// Test driver for RequestParser: plays the role of the server's connection (a buffer of
// unconsumed bytes, appended to on every read), records what the parser reports and checks
// the step invariants. Inputs can be placed right before a PROT_NONE page (GuardedBuffer, from
// parser_driver.hpp) so any read past the end of the input crashes the test.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/http/request_parser.hpp"
#include "http/parser_driver.hpp"

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

// Feeds `pieces` in order as successive reads of one connection. eof: the client closes
// after the last piece.
inline RequestOutcome drive_requests(const std::vector<std::string_view>& pieces, bool eof,
                                     GuardedBuffer* guard = nullptr,
                                     const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  RequestOutcome out;
  std::string pending;
  Request current;
  bool in_body = false;
  auto run = [&]() -> bool {  // false: stop (error)
    for (;;) {
      const std::string_view input = guard != nullptr ? guard->place(pending) : pending;
      const RequestParser::Step step = parser.next(input);
      EXPECT_LE(step.consumed, input.size());
      if (!step.body.empty()) {
        EXPECT_GE(step.body.data(), input.data());
        EXPECT_LE(step.body.data() + step.body.size(), input.data() + step.consumed);
        current.body.append(step.body);
      }
      switch (step.event) {
        case RequestParser::Event::head: {
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
          EXPECT_GT(step.consumed, 0u);
          EXPECT_EQ(parser.error_status(), 0);
          in_body = true;
          break;
        }
        case RequestParser::Event::body:
          EXPECT_TRUE(in_body);
          EXPECT_GT(step.consumed, 0u);
          break;
        case RequestParser::Event::complete:
          EXPECT_TRUE(in_body);
          if (current.framing == BodyFraming::content_length) {
            EXPECT_EQ(current.body.size(), parser.head().content_length);
          }
          EXPECT_EQ(parser.body_bytes(), current.body.size());
          out.requests.push_back(std::move(current));
          current = Request{};
          in_body = false;
          parser.start();
          break;
        case RequestParser::Event::error:
          out.error = parser.error();
          EXPECT_NE(out.error, ParseError::none);
          EXPECT_GE(parser.error_status(), 400);
          return false;
        case RequestParser::Event::need_more:
          if (!in_body) {
            EXPECT_EQ(step.consumed, 0u);  // head bytes are never consumed early
          }
          pending.erase(0, step.consumed);
          return true;
      }
      pending.erase(0, step.consumed);
    }
  };
  for (std::string_view piece : pieces) {
    pending.append(piece);
    if (!run()) return out;
  }
  if (eof) {
    const RequestParser::Step step = parser.finish_eof();
    if (step.event == RequestParser::Event::complete) {
      out.requests.push_back(std::move(current));
    } else if (step.event == RequestParser::Event::error) {
      out.error = parser.error();
    }
  }
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
  GuardedBuffer guard(wire.size() + 1);
  for (size_t cut = 0; cut <= wire.size(); cut += stride) {
    const RequestOutcome got =
        drive_requests({wire.substr(0, cut), wire.substr(cut)}, eof, &guard, limits);
    ASSERT_EQ(got, expected) << "split at " << cut;
  }
  if (stride != 1) return;
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < wire.size(); ++i)
    bytes.push_back(wire.substr(i, 1));
  ASSERT_EQ(drive_requests(bytes, eof, &guard, limits), expected) << "byte by byte";
}

}  // namespace anvil::http::test
