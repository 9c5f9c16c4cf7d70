#include "anvil/ws/frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "anvil/ws/frame_parser.hpp"
#include "ws/ws_test_util.hpp"

namespace anvil::ws {
namespace {

using test::build;
using test::RawFrame;

std::string header(Opcode op, bool fin, uint64_t length, const MaskKey* mask = nullptr) {
  std::array<char, kMaxFrameHeaderSize> out{};
  const size_t n = encode_frame_header(out, op, fin, length, mask);
  return std::string(out.data(), n);
}

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h.push_back(digits[c >> 4]);
    h.push_back(digits[c & 15]);
  }
  return h;
}

TEST(FrameWriter, Rfc6455Section57Examples) {
  EXPECT_EQ(hex(header(Opcode::text, true, 5) + "Hello"), "810548656c6c6f");
  const MaskKey key{0x37, 0xfa, 0x21, 0x3d};
  std::string payload = "Hello";
  apply_mask({payload.data(), payload.size()}, key);
  EXPECT_EQ(hex(header(Opcode::text, true, 5, &key) + payload), "818537fa213d7f9f4d5158");
  EXPECT_EQ(hex(header(Opcode::text, false, 3) + "Hel"), "010348656c");
  EXPECT_EQ(hex(header(Opcode::continuation, true, 2) + "lo"), "80026c6f");
  EXPECT_EQ(hex(header(Opcode::ping, true, 5)), "8905");
  EXPECT_EQ(hex(header(Opcode::pong, true, 5, &key)), "8a8537fa213d");
  EXPECT_EQ(hex(header(Opcode::binary, true, 256)), "827e0100");
  EXPECT_EQ(hex(header(Opcode::binary, true, 65536)), "827f0000000000010000");
}

TEST(FrameWriter, LengthBoundariesMatchTheNaiveBuilderAndParse) {
  const MaskKey key{1, 2, 3, 4};
  for (uint64_t len :
       {uint64_t{0}, uint64_t{1}, uint64_t{125}, uint64_t{126}, uint64_t{127}, uint64_t{65535},
        uint64_t{65536}, uint64_t{1} << 32, (uint64_t{1} << 63) - 1}) {
    for (bool masked : {false, true}) {
      RawFrame f;
      f.opcode = 0x2;
      f.has_declared = true;
      f.declared = len;
      f.masked = masked;
      f.key = key;
      const std::string got = header(Opcode::binary, true, len, masked ? &key : nullptr);
      EXPECT_EQ(hex(got), hex(build(f))) << len;
      FrameLimits limits;
      limits.max_message_size = UINT64_MAX;
      FrameParser parser(masked ? Role::server : Role::client, limits);
      std::string wire = got;
      const FrameParser::Step s = parser.next({wire.data(), wire.size()});
      ASSERT_EQ(s.event, FrameParser::Event::frame_start) << len;
      EXPECT_EQ(s.consumed, wire.size());
      EXPECT_EQ(parser.header().payload_length, len);
    }
  }
}

TEST(FrameWriter, ApplyMaskMatchesNaiveForEveryPhaseLengthAndAlignment) {
  const MaskKey key{0x9c, 0x01, 0xff, 0x42};
  std::vector<char> original(200);
  for (size_t i = 0; i < original.size(); ++i)
    original[i] = static_cast<char>(i * 31 + 7);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len + offset <= 150; ++len) {
      for (size_t phase = 0; phase < 4; ++phase) {
        std::vector<char> buf = original;
        const size_t next = apply_mask({buf.data() + offset, len}, key, phase);
        EXPECT_EQ(next, (phase + len) % 4);
        for (size_t i = 0; i < buf.size(); ++i) {
          char want = original[i];
          if (i >= offset && i < offset + len) {
            want =
                static_cast<char>(static_cast<unsigned char>(want) ^ key[(phase + i - offset) % 4]);
          }
          ASSERT_EQ(buf[i], want) << "offset " << offset << " len " << len << " phase " << phase;
        }
      }
    }
  }
}

TEST(FrameWriter, MaskingInPiecesEqualsMaskingWhole) {
  const MaskKey key{0xde, 0xad, 0xbe, 0xef};
  std::string whole(1000, '\0');
  for (size_t i = 0; i < whole.size(); ++i)
    whole[i] = static_cast<char>(i);
  std::string pieces = whole;
  apply_mask({whole.data(), whole.size()}, key);
  size_t phase = 0, at = 0;
  for (size_t n : {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 392}) {
    phase = apply_mask({pieces.data() + at, n}, key, phase);
    at += n;
  }
  ASSERT_EQ(at, pieces.size());
  EXPECT_EQ(pieces, whole);
}

TEST(FrameWriter, ClosePayload) {
  std::array<char, kMaxControlPayload> out{};
  size_t n = encode_close_payload(out, 1000, "bye");
  EXPECT_EQ(hex(std::string_view(out.data(), n)), "03e8627965");
  n = encode_close_payload(out, 4999, "");
  EXPECT_EQ(hex(std::string_view(out.data(), n)), "1387");
  // 122 ASCII bytes + a 3-byte character would be 125 + 2: the character is dropped whole.
  std::string reason(122, 'r');
  reason += "\xE2\x82\xAC";
  n = encode_close_payload(out, 1001, reason);
  EXPECT_EQ(n, 2 + 122u);
  reason = std::string(123, 'r') + "tail";
  n = encode_close_payload(out, 1001, reason);
  EXPECT_EQ(n, kMaxControlPayload);
}

TEST(FrameWriter, CloseCodeValidity) {
  int valid = 0;
  for (uint32_t c = 0; c <= 65535; ++c)
    valid += is_valid_close_code(static_cast<uint16_t>(c)) ? 1 : 0;
  EXPECT_EQ(valid, 4 + 8 + 2000);
  EXPECT_FALSE(is_valid_close_code(close_code::no_status));
  EXPECT_FALSE(is_valid_close_code(close_code::abnormal));
  EXPECT_FALSE(is_valid_close_code(close_code::tls_handshake));
  EXPECT_FALSE(is_valid_close_code(1004));
  EXPECT_TRUE(is_valid_close_code(close_code::service_restart));
}

TEST(FrameWriter, ErrorNamesAndCodes) {
  for (int i = 1; i < kFrameErrorCount; ++i) {
    const auto e = static_cast<FrameError>(i);
    EXPECT_STRNE(to_string(e), "unknown");
    const uint16_t code = close_code_for(e);
    EXPECT_TRUE(code == 1002 || code == 1007 || code == 1009) << to_string(e);
    EXPECT_TRUE(is_valid_close_code(code));
  }
}

}  // namespace
}  // namespace anvil::ws
