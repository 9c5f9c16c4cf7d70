#pragma once

// What the request and response parser tests share: a driver that plays a connection (a buffer of
// unconsumed bytes, appended to on every read) through either parser and checks the invariants of
// the pull interface at every step, and the check that every split of the input gives the same
// outcome.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/http/message_parser.hpp"
#include "http/guarded_buffer.hpp"

namespace anvil::http::test {

// Feeds `pieces` in order as successive reads of one connection to session.parser, and
// records each message it completes into `messages` (the first error into `error`). eof: the
// peer closes after the last piece. The Session supplies what differs between the two sides:
//   Parser parser;                        // RequestParser or ResponseParser
//   using Message = ...;                  // what is recorded of a message; has `std::string body`
//   void on_head(Message&);               // after Event::head: record the head, check it
//   void on_error();                      // after Event::error: check the error
//   void start_next();                    // after Event::complete: parser.start(...)
//   static constexpr bool kHeadConsumedWhole;  // need_more in a head never consumes
template <typename Session>
void drive_session(Session& session, const std::vector<std::string_view>& pieces, bool eof,
                   GuardedBuffer* guard, std::vector<typename Session::Message>& messages,
                   ParseError& error) {
  auto& parser = session.parser;
  std::string pending;
  typename Session::Message current;
  bool in_body = false;
  auto run = [&]() -> bool {  // false: stop (error)
    for (;;) {
      const std::string_view input = guard != nullptr ? guard->place_view(pending) : pending;
      const ParseStep step = parser.next(input);
      EXPECT_LE(step.consumed, input.size());
      if (!step.body.empty()) {
        // The body view lies inside the consumed part of the input.
        EXPECT_GE(step.body.data(), input.data());
        EXPECT_LE(step.body.data() + step.body.size(), input.data() + step.consumed);
        current.body.append(step.body);
      }
      switch (step.event) {
        case ParseEvent::head:
          session.on_head(current);
          EXPECT_GT(step.consumed, 0u);
          in_body = true;
          break;
        case ParseEvent::body:
          EXPECT_TRUE(in_body);
          EXPECT_GT(step.consumed, 0u);
          break;
        case ParseEvent::complete:
          EXPECT_TRUE(in_body);
          if (current.framing == BodyFraming::content_length) {
            EXPECT_EQ(current.body.size(), parser.head().content_length);
          }
          EXPECT_EQ(parser.body_bytes(), current.body.size());
          messages.push_back(std::move(current));
          current = typename Session::Message{};
          in_body = false;
          session.start_next();
          break;
        case ParseEvent::error:
          error = parser.error();
          EXPECT_NE(error, ParseError::none);
          session.on_error();
          return false;
        case ParseEvent::need_more:
          if (Session::kHeadConsumedWhole && !in_body) {
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
    if (!run()) return;
  }
  if (eof) {
    const ParseStep step = parser.finish_eof();
    if (step.event == ParseEvent::complete) {
      messages.push_back(std::move(current));
    } else if (step.event == ParseEvent::error) {
      error = parser.error();
    }
  }
}

// Every two-piece split of `wire` (every `stride`-th one for large inputs), and byte by byte
// when stride is 1, each behind a guard page, must give `expected`.
// drive(pieces, guard) -> Outcome runs one connection.
template <typename Outcome, typename Drive>
void expect_every_split(std::string_view wire, const Outcome& expected, size_t stride,
                        Drive&& drive) {
  GuardedBuffer guard(wire.size() + 1);
  for (size_t cut = 0; cut <= wire.size(); cut += stride) {
    const Outcome got = drive({wire.substr(0, cut), wire.substr(cut)}, &guard);
    ASSERT_EQ(got, expected) << "split at " << cut;
  }
  if (stride != 1) return;
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < wire.size(); ++i)
    bytes.push_back(wire.substr(i, 1));
  ASSERT_EQ(drive(bytes, &guard), expected) << "byte by byte";
}

}  // namespace anvil::http::test
