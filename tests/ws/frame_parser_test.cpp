#include "anvil/ws/frame_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ws/ws_test_util.hpp"

namespace anvil::ws {
namespace {

using test::build;
using test::Cuts;
using test::drive_frames;
using test::expect_split_invariant;
using test::frame;
using test::RawFrame;
using Lines = std::vector<std::string>;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values)
    s.push_back(static_cast<char>(v));
  return s;
}

auto frames(Role role, FrameLimits limits = {}) {
  return [role, limits](std::string_view wire, const Cuts& cuts) {
    return drive_frames(wire, role, cuts, limits);
  };
}

// ---- RFC 6455 §5.7 examples, byte-exact --------------------------------------------------------

TEST(FrameParserRfc, UnmaskedHello) {
  const std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  EXPECT_EQ(expect_split_invariant(wire, frames(Role::client)),
            (Lines{"start text fin=1 len=5", "payload Hello", "end", "need_more"}));
}

TEST(FrameParserRfc, MaskedHello) {
  const std::string wire =
      bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(expect_split_invariant(wire, frames(Role::server)),
            (Lines{"start text fin=1 len=5", "payload Hello", "end", "need_more"}));
}

TEST(FrameParserRfc, FragmentedUnmaskedHello) {
  const std::string wire = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(expect_split_invariant(wire, frames(Role::client)),
            (Lines{"start text fin=0 len=3", "payload Hel", "end", "start continuation fin=1 len=2",
                   "payload lo", "end", "need_more"}));
}

TEST(FrameParserRfc, PingAndMaskedPong) {
  const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  EXPECT_EQ(expect_split_invariant(ping, frames(Role::client)),
            (Lines{"start ping fin=1 len=5", "payload Hello", "end", "need_more"}));
  const std::string pong =
      bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(expect_split_invariant(pong, frames(Role::server)),
            (Lines{"start pong fin=1 len=5", "payload Hello", "end", "need_more"}));
}

TEST(FrameParserRfc, Binary256And64KiBLengths) {
  std::string small(256, '\0');
  for (size_t i = 0; i < small.size(); ++i)
    small[i] = static_cast<char>(i);
  const std::string wire256 = bytes({0x82, 0x7E, 0x01, 0x00}) + small;
  Lines got = drive_frames(wire256, Role::client, {});
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "start binary fin=1 len=256");
  EXPECT_EQ(got[1], "payload " + small);

  const std::string big(65536, 'x');
  const std::string wire64k = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + big;
  got = drive_frames(wire64k, Role::client, {});
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "start binary fin=1 len=65536");
  EXPECT_EQ(got[1], "payload " + big);
}

// ---- valid sequences, split everywhere
// -----------------------------------------------------------

TEST(FrameParser, ControlFramesInterleavedWithFragments) {
  const std::string wire = frame(Opcode::binary, "ab", false) + frame(Opcode::ping, "p") +
                           frame(Opcode::continuation, "", false) + frame(Opcode::pong, "") +
                           frame(Opcode::continuation, "cdefghijk") + frame(Opcode::text, "t");
  EXPECT_EQ(
      expect_split_invariant(wire, frames(Role::server)),
      (Lines{"start binary fin=0 len=2", "payload ab", "end", "start ping fin=1 len=1", "payload p",
             "end", "start continuation fin=0 len=0", "payload ", "end", "start pong fin=1 len=0",
             "payload ", "end", "start continuation fin=1 len=9", "payload cdefghijk", "end",
             "start text fin=1 len=1", "payload t", "end", "need_more"}));
}

TEST(FrameParser, MaskPhaseContinuesAcrossEverySplit) {
  // 300 bytes use the 16-bit length; odd lengths move the phase off zero at each split.
  std::string payload;
  for (int i = 0; i < 300; ++i)
    payload.push_back(static_cast<char>((i * 7 + 3) & 0xFF));
  RawFrame f;
  f.opcode = 0x2;
  f.payload = payload;
  f.key = {0x01, 0x80, 0xFE, 0x5A};
  const std::string wire = build(f) + frame(Opcode::binary, payload.substr(0, 13));
  EXPECT_EQ(
      expect_split_invariant(wire, frames(Role::server)),
      (Lines{"start binary fin=1 len=300", "payload " + payload, "end", "start binary fin=1 len=13",
             "payload " + payload.substr(0, 13), "end", "need_more"}));
}

TEST(FrameParser, EveryThreeWaySplit) {
  const std::string wire =
      frame(Opcode::text, "Hello, world", false) + frame(Opcode::continuation, "!!");
  const Lines whole = drive_frames(wire, Role::server, {});
  for (size_t a = 1; a < wire.size(); ++a) {
    for (size_t b = a + 1; b < wire.size(); ++b) {
      ASSERT_EQ(drive_frames(wire, Role::server, {a, b}), whole) << a << "," << b;
    }
  }
}

TEST(FrameParser, FrameEndComesEvenWithoutMoreInput) {
  FrameParser parser(Role::server);
  std::string wire = frame(Opcode::binary, "xy");
  std::span<char> in(wire.data(), wire.size());
  FrameParser::Step s = parser.next(in);
  ASSERT_EQ(s.event, FrameParser::Event::frame_start);
  s = parser.next(in.subspan(s.consumed));
  ASSERT_EQ(s.event, FrameParser::Event::payload);
  EXPECT_EQ(std::string(s.data.data(), s.data.size()), "xy");
  s = parser.next({});
  EXPECT_EQ(s.event, FrameParser::Event::frame_end);
  s = parser.next({});
  EXPECT_EQ(s.event, FrameParser::Event::need_more);
}

TEST(FrameParser, MaxMessageSizeCountsAllFragments) {
  FrameLimits limits;
  limits.max_message_size = 10;
  const std::string exact =
      frame(Opcode::text, "123456", false) + frame(Opcode::continuation, "7890");
  EXPECT_EQ(drive_frames(exact, Role::server, {}, limits).back(), "need_more");
  const std::string over = frame(Opcode::text, "123456", false) +
                           frame(Opcode::ping, "control frames do not count") +
                           frame(Opcode::continuation, "78901");
  const Lines got = expect_split_invariant(over, frames(Role::server, limits));
  EXPECT_EQ(got.back(), "error message_too_big");
  // Rejected at the header: the oversize fragment's payload was never delivered.
  EXPECT_EQ(got[got.size() - 2], "end");
  // A new message starts counting from zero.
  const std::string two = frame(Opcode::binary, "1234567890") + frame(Opcode::binary, "abcdefghij");
  EXPECT_EQ(drive_frames(two, Role::server, {}, limits).back(), "need_more");
}

// ---- 64-bit lengths: no allocation, no overflow ----------------------------------------------

TEST(FrameParser, HugeDeclaredLengthIsStreamedWithoutAllocating) {
  FrameLimits limits;
  limits.max_message_size = UINT64_MAX;
  FrameParser parser(Role::server, limits);
  RawFrame f;
  f.opcode = 0x2;
  f.has_declared = true;
  f.declared = uint64_t{1} << 62;
  std::string wire = build(f);
  FrameParser::Step s = parser.next({wire.data(), wire.size()});
  ASSERT_EQ(s.event, FrameParser::Event::frame_start);
  EXPECT_EQ(parser.header().payload_length, uint64_t{1} << 62);
  std::vector<char> chunk(1 << 20, 'a');
  for (int i = 0; i < 4; ++i) {
    s = parser.next({chunk.data(), chunk.size()});
    ASSERT_EQ(s.event, FrameParser::Event::payload);
    EXPECT_EQ(s.consumed, chunk.size());
  }
  EXPECT_EQ(parser.remaining(), (uint64_t{1} << 62) - 4 * chunk.size());
}

TEST(FrameParser, DefaultLimitAllows16GiBAndRejectsMore) {
  RawFrame f;
  f.opcode = 0x2;
  f.has_declared = true;
  f.declared = uint64_t{16} << 30;
  EXPECT_EQ(drive_frames(build(f), Role::server, {})[0], "start binary fin=1 len=17179869184");
  f.declared = uint64_t{1} << 40;
  EXPECT_EQ(drive_frames(build(f), Role::server, {})[0], "error message_too_big");
}

// ---- errors, with their close codes -------------------------------------------------------------

struct BadCase {
  const char* name;
  Role role;
  std::string wire;
  FrameError error;
  uint16_t code;
};

std::vector<BadCase> bad_cases() {
  std::vector<BadCase> c;
  auto raw = [](auto edit) {
    RawFrame f;
    f.payload = "abc";
    edit(f);
    return build(f);
  };
  c.push_back({"rsv1", Role::server, raw([](RawFrame& f) { f.rsv = 0x40; }),
               FrameError::reserved_bits, 1002});
  c.push_back({"rsv2", Role::server, raw([](RawFrame& f) { f.rsv = 0x20; }),
               FrameError::reserved_bits, 1002});
  c.push_back({"rsv3", Role::client, raw([](RawFrame& f) {
                 f.rsv = 0x10;
                 f.masked = false;
               }),
               FrameError::reserved_bits, 1002});
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    c.push_back({"reserved_opcode", Role::server, raw([op](RawFrame& f) { f.opcode = op; }),
                 FrameError::unknown_opcode, 1002});
  }
  c.push_back({"ping_126", Role::server, frame(Opcode::ping, std::string(126, 'p')),
               FrameError::control_too_long, 1002});
  c.push_back({"close_64bit_length", Role::server, raw([](RawFrame& f) {
                 f.opcode = 0x8;
                 f.has_declared = true;
                 f.declared = 70000;
                 f.payload.clear();
               }),
               FrameError::control_too_long, 1002});
  c.push_back({"fragmented_ping", Role::server, frame(Opcode::ping, "x", false),
               FrameError::control_fragmented, 1002});
  c.push_back({"fragmented_close", Role::client, frame(Opcode::close, "", false, false),
               FrameError::control_fragmented, 1002});
  c.push_back({"unmasked_client_frame", Role::server, frame(Opcode::text, "hi", true, false),
               FrameError::mask_required, 1002});
  c.push_back({"unmasked_client_ping", Role::server, frame(Opcode::ping, "", true, false),
               FrameError::mask_required, 1002});
  c.push_back({"masked_server_frame", Role::client, frame(Opcode::binary, "hi"),
               FrameError::mask_forbidden, 1002});
  c.push_back({"len16_below_126", Role::server, raw([](RawFrame& f) { f.form = 16; }),
               FrameError::non_minimal_length, 1002});
  c.push_back({"len16_125", Role::server, raw([](RawFrame& f) {
                 f.form = 16;
                 f.payload = std::string(125, 'z');
               }),
               FrameError::non_minimal_length, 1002});
  c.push_back({"len64_65535", Role::server, raw([](RawFrame& f) {
                 f.form = 64;
                 f.payload = std::string(65535, 'z');
               }),
               FrameError::non_minimal_length, 1002});
  c.push_back({"len64_msb", Role::server, raw([](RawFrame& f) {
                 f.has_declared = true;
                 f.declared = uint64_t{1} << 63;
                 f.payload.clear();
               }),
               FrameError::length_msb_set, 1002});
  c.push_back({"continuation_first", Role::server, frame(Opcode::continuation, "x"),
               FrameError::unexpected_continuation, 1002});
  c.push_back({"continuation_after_final", Role::server,
               frame(Opcode::text, "x") + frame(Opcode::continuation, "y"),
               FrameError::unexpected_continuation, 1002});
  c.push_back({"text_inside_fragmented", Role::server,
               frame(Opcode::binary, "x", false) + frame(Opcode::text, "y"),
               FrameError::expected_continuation, 1002});
  c.push_back(
      {"binary_inside_fragmented_after_ping", Role::server,
       frame(Opcode::text, "x", false) + frame(Opcode::ping, "") + frame(Opcode::binary, "y"),
       FrameError::expected_continuation, 1002});
  c.push_back({"too_big_default", Role::server, raw([](RawFrame& f) {
                 f.opcode = 0x2;
                 f.has_declared = true;
                 f.declared = kDefaultMaxMessageSize + 1;
                 f.payload.clear();
               }),
               FrameError::message_too_big, 1009});
  return c;
}

TEST(FrameParserErrors, EachCaseHasItsErrorAndCloseCode) {
  for (const BadCase& bc : bad_cases()) {
    SCOPED_TRACE(bc.name);
    const Lines got = expect_split_invariant(bc.wire, frames(bc.role));
    EXPECT_EQ(got.back(), std::string("error ") + to_string(bc.error));
    EXPECT_EQ(close_code_for(bc.error), bc.code);
  }
}

TEST(FrameParserErrors, FailFastOnTheFirstTwoBytes) {
  // A bad opcode/RSV/mask/control rule is visible in bytes 0-1: no need to wait for the rest.
  for (std::string wire : {bytes({0x83, 0x80}), bytes({0xC1, 0x80}), bytes({0x81, 0x05}),
                           bytes({0x09, 0x80}), bytes({0x89, 0xFE})}) {
    FrameParser parser(Role::server);
    const FrameParser::Step s = parser.next({wire.data(), wire.size()});
    EXPECT_EQ(s.event, FrameParser::Event::error);
  }
}

TEST(FrameParserErrors, ErrorIsStickyAndResetRecovers) {
  FrameParser parser(Role::server);
  std::string bad = bytes({0x83, 0x80});
  EXPECT_EQ(parser.next({bad.data(), bad.size()}).event, FrameParser::Event::error);
  std::string good = frame(Opcode::text, "ok");
  EXPECT_EQ(parser.next({good.data(), good.size()}).event, FrameParser::Event::error);
  EXPECT_EQ(parser.error(), FrameError::unknown_opcode);
  parser.reset();
  EXPECT_EQ(parser.next({good.data(), good.size()}).event, FrameParser::Event::frame_start);
  EXPECT_EQ(parser.error(), FrameError::none);
}

// ---- a large message in pieces, generated on the fly -----------------------------------------

uint8_t pattern(uint64_t i) {
  return static_cast<uint8_t>((i * 2654435761u) >> 13);
}

TEST(FrameParserLarge, HundredMegabytesInOddPieces) {
  constexpr uint64_t kSize = 100ull << 20;
  RawFrame f;
  f.opcode = 0x2;
  f.has_declared = true;
  f.declared = kSize;
  f.key = {0xA5, 0x3C, 0x0F, 0x96};
  const std::string header = build(f);  // header + key only (payload empty)
  FrameParser parser(Role::server);
  std::string buf = header;
  FrameParser::Step s = parser.next({buf.data(), buf.size()});
  ASSERT_EQ(s.event, FrameParser::Event::frame_start);
  ASSERT_EQ(s.consumed, header.size());
  // Pieces of varying odd sizes so that every mask phase is the start of some piece.
  std::vector<char> piece(70001);
  uint64_t sent = 0, checked = 0;
  size_t step_size = 65537;
  bool ok = true;
  while (sent < kSize) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(step_size, kSize - sent));
    for (size_t i = 0; i < n; ++i)
      piece[i] = static_cast<char>(pattern(sent + i) ^ f.key[(sent + i) % 4]);
    sent += n;
    step_size = step_size == 65537 ? 69999 : step_size - 1;
    std::span<char> in(piece.data(), n);
    while (!in.empty()) {
      s = parser.next(in);
      ASSERT_EQ(s.event, FrameParser::Event::payload);
      for (size_t i = 0; i < s.data.size(); ++i)
        ok &= static_cast<uint8_t>(s.data[i]) == pattern(checked + i);
      checked += s.data.size();
      in = in.subspan(s.consumed);
    }
    ASSERT_TRUE(ok) << "mismatch before offset " << checked;
  }
  EXPECT_EQ(checked, kSize);
  EXPECT_EQ(parser.next({}).event, FrameParser::Event::frame_end);
}

}  // namespace
}  // namespace anvil::ws
