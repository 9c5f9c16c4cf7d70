#include "anvil/ws/message_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/ws_test_util.hpp"

namespace anvil::ws {
namespace {

using test::close_payload;
using test::Cuts;
using test::drive_messages;
using test::expect_split_invariant;
using test::frame;
using Lines = std::vector<std::string>;

auto messages(Role role, FrameLimits limits = {}) {
  return [role, limits](std::string_view wire, const Cuts& cuts) {
    return drive_messages(wire, role, cuts, limits);
  };
}

TEST(MessageReader, WholeAndFragmentedMessagesWithInterleavedControl) {
  const std::string wire = frame(Opcode::text, "Hello") + frame(Opcode::binary, "") +
                           frame(Opcode::text, "fr", false) + frame(Opcode::ping, "are you there") +
                           frame(Opcode::continuation, "ag", false) + frame(Opcode::pong, "") +
                           frame(Opcode::continuation, "ments") +
                           frame(Opcode::close, close_payload(1000, "bye"));
  EXPECT_EQ(
      expect_split_invariant(wire, messages(Role::server)),
      (Lines{"text first=5 single=1: Hello", "binary first=0 single=1: ", "ping: are you there",
             "pong: ", "text first=2 single=0: fragments", "close 1000: bye", "need_more"}));
}

TEST(MessageReader, ClientRoleReadsUnmaskedFrames) {
  const std::string wire = frame(Opcode::binary, "abc", true, false) +
                           frame(Opcode::close, close_payload(1001), true, false);
  EXPECT_EQ(expect_split_invariant(wire, messages(Role::client)),
            (Lines{"binary first=3 single=1: abc", "close 1001: ", "need_more"}));
}

TEST(MessageReader, Utf8SplitInsideCharactersAcrossFragments) {
  // "€" = E2 82 AC, "𝄞" = F0 9D 84 9E: fragments cut inside both characters.
  const std::string text =
      "a\xE2\x82\xAC\xF0\x9D\x84\x9E"
      "z";
  const std::string wire = frame(Opcode::text, text.substr(0, 2), false) +
                           frame(Opcode::continuation, text.substr(2, 4), false) +
                           frame(Opcode::continuation, text.substr(6));
  EXPECT_EQ(expect_split_invariant(wire, messages(Role::server)),
            (Lines{"text first=2 single=0: " + text, "need_more"}));
}

TEST(MessageReader, BinaryIsNotValidatedAsUtf8) {
  const std::string wire = frame(Opcode::binary, "\xFF\xC0\x80");
  EXPECT_EQ(drive_messages(wire, Role::server, {}),
            (Lines{"binary first=3 single=1: \xFF\xC0\x80", "need_more"}));
}

TEST(MessageReader, CloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    const Lines got =
        drive_messages(frame(Opcode::close, close_payload(code, "r")), Role::server, {});
    EXPECT_EQ(got[0], "close " + std::to_string(code) + ": r");
  }
  EXPECT_EQ(drive_messages(frame(Opcode::close, ""), Role::server, {})[0], "close 1005: ");
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    const Lines got = drive_messages(frame(Opcode::close, close_payload(code)), Role::server, {});
    EXPECT_EQ(got[0], "error bad_close_code 1002") << code;
  }
}

struct BadCase {
  const char* name;
  std::string wire;
  std::string expected;
};

TEST(MessageReaderErrors, EachCaseHasItsErrorAndCloseCode) {
  const std::vector<BadCase> cases = {
      {"overlong_nul", frame(Opcode::text, "\xC0\x80"), "error invalid_utf8 1007"},
      {"overlong_3byte", frame(Opcode::text, "\xE0\x80\xAF"), "error invalid_utf8 1007"},
      {"overlong_4byte", frame(Opcode::text, "\xF0\x8F\xBF\xBF"), "error invalid_utf8 1007"},
      {"surrogate", frame(Opcode::text, "\xED\xA0\x80"), "error invalid_utf8 1007"},
      {"above_10ffff", frame(Opcode::text, "\xF4\x90\x80\x80"), "error invalid_utf8 1007"},
      {"f5_lead", frame(Opcode::text, "\xF5\x80\x80\x80"), "error invalid_utf8 1007"},
      {"ff", frame(Opcode::text, "ok\xFF"), "error invalid_utf8 1007"},
      {"lone_continuation", frame(Opcode::text, "\x80"), "error invalid_utf8 1007"},
      {"truncated_at_end", frame(Opcode::text, "\xE2\x82"), "error invalid_utf8 1007"},
      {"truncated_last_fragment",
       frame(Opcode::text, "ok", false) + frame(Opcode::continuation, "\xF0\x9D\x84"),
       "error invalid_utf8 1007"},
      {"bad_across_fragments",
       frame(Opcode::text, "\xE2", false) + frame(Opcode::continuation, "\x28\xA1"),
       "error invalid_utf8 1007"},
      {"close_one_byte", frame(Opcode::close, "\x03"), "error bad_close_payload 1002"},
      {"close_bad_reason", frame(Opcode::close, close_payload(1000, "\xC3\x28")),
       "error invalid_close_reason 1007"},
      {"close_truncated_reason", frame(Opcode::close, close_payload(1000, "\xE2\x82")),
       "error invalid_close_reason 1007"},
      {"unmasked", frame(Opcode::text, "x", true, false), "error mask_required 1002"},
      {"oversize_ping", frame(Opcode::ping, std::string(126, 'x')), "error control_too_long 1002"},
  };
  for (const BadCase& bc : cases) {
    SCOPED_TRACE(bc.name);
    EXPECT_EQ(expect_split_invariant(bc.wire, messages(Role::server)).back(), bc.expected);
  }
}

TEST(MessageReaderErrors, InvalidUtf8FailsBeforeTheMessageEnds) {
  // §8.1: fail fast. The bad byte is in the first fragment; the message never finishes.
  const std::string wire = frame(Opcode::text, "abc\xFF", false);
  EXPECT_EQ(drive_messages(wire, Role::server, {}), (Lines{"error invalid_utf8 1007"}));
}

TEST(MessageReaderErrors, TooBigMessage) {
  FrameLimits limits;
  limits.max_message_size = 4;
  const std::string wire = frame(Opcode::binary, "ab", false) + frame(Opcode::continuation, "cde");
  EXPECT_EQ(drive_messages(wire, Role::server, {}, limits).back(), "error message_too_big 1009");
}

TEST(MessageReader, ControlPayloadSplitAcrossReadsIsWhole) {
  const std::string payload(125, 'q');
  const std::string wire = frame(Opcode::ping, payload);
  for (size_t k = 1; k < wire.size(); ++k) {
    EXPECT_EQ(drive_messages(wire, Role::server, {k})[0], "ping: " + payload) << k;
  }
}

TEST(MessageReader, MessageStartReportsFirstFrameLength) {
  MessageReader reader(Role::server);
  std::string wire = frame(Opcode::binary, std::string(70000, 'b'));
  const MessageReader::Step s = reader.next({wire.data(), wire.size()});
  ASSERT_EQ(s.event, MessageReader::Event::message_start);
  EXPECT_EQ(s.opcode, Opcode::binary);
  EXPECT_EQ(reader.frame_length(), 70000u);
  EXPECT_TRUE(reader.single_frame());
  EXPECT_EQ(s.consumed, 14u);
}

}  // namespace
}  // namespace anvil::ws
