#pragma once

#include "support/guarded_buffer.hpp"

// Test helpers for the ws codec: an independent, deliberately naive frame builder (per-byte
// masking with a modulo, no shared code with the writer), a guard-page buffer, and drivers
// that feed wire bytes to FrameParser / MessageReader in chosen pieces, check the step
// invariants and return a transcript that must not depend on how the input was split.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/ws/frame.hpp"
#include "anvil/ws/frame_parser.hpp"
#include "anvil/ws/message_reader.hpp"

namespace anvil::ws::test {

inline constexpr MaskKey kKey{0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 §5.7's key

struct RawFrame {
  uint8_t opcode = 0x1;  // any 4-bit value, reserved ones included
  std::string payload;
  bool fin = true;
  bool masked = true;
  MaskKey key = kKey;
  uint8_t rsv = 0;  // bits 0x70 of the first byte
  int form = 0;     // length encoding: 0 shortest, 7, 16 or 64 (may be non-minimal)
  bool has_declared = false;
  uint64_t declared = 0;  // length to write instead of payload.size()
};

inline std::string build(const RawFrame& f) {
  std::string out;
  out.push_back(static_cast<char>((f.fin ? 0x80 : 0) | f.rsv | (f.opcode & 0x0F)));
  const uint64_t len = f.has_declared ? f.declared : f.payload.size();
  int form = f.form;
  if (form == 0) form = len < 126 ? 7 : len <= 0xFFFF ? 16 : 64;
  const char m = f.masked ? static_cast<char>(0x80) : 0;
  if (form == 7) {
    out.push_back(static_cast<char>(m | static_cast<char>(len)));
  } else if (form == 16) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>((len >> 8) & 0xFF));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((len >> shift) & 0xFF));
  }
  if (f.masked) {
    for (uint8_t k : f.key)
      out.push_back(static_cast<char>(k));
  }
  for (size_t i = 0; i < f.payload.size(); ++i) {
    const uint8_t k = f.masked ? f.key[i % 4] : 0;
    out.push_back(static_cast<char>(static_cast<uint8_t>(f.payload[i]) ^ k));
  }
  return out;
}

// Shorthands: a complete (masked by default) frame.
inline std::string frame(Opcode op, std::string_view payload, bool fin = true, bool masked = true) {
  RawFrame f;
  f.opcode = static_cast<uint8_t>(op);
  f.payload = std::string(payload);
  f.fin = fin;
  f.masked = masked;
  return build(f);
}

inline std::string close_payload(uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p += reason;
  return p;
}

using anvil::test::GuardedBuffer;

inline bool inside(std::span<char> part, std::span<char> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Cut points: the wire is fed as [0,c1), [c1,c2), ... [ck,n).
using Cuts = std::vector<size_t>;

// FrameParser transcript: "start <op> fin=<0|1> len=<n>", "payload <bytes>" per frame (pieces
// joined), "end", and finally "error <name>" or "need_more".
inline std::vector<std::string> drive_frames(std::string_view wire, Role role, const Cuts& cuts,
                                             FrameLimits limits = {}) {
  FrameParser parser(role, limits);
  GuardedBuffer guard(wire.size() + 1);
  std::vector<std::string> out;
  std::string payload;
  size_t begin = 0;
  for (size_t piece = 0; piece <= cuts.size(); ++piece) {
    const size_t end = piece < cuts.size() ? cuts[piece] : wire.size();
    std::span<char> input = guard.place(wire.substr(begin, end - begin));
    begin = end;
    for (;;) {
      const FrameParser::Step step = parser.next(input);
      EXPECT_LE(step.consumed, input.size());
      if (step.event == FrameParser::Event::need_more) {
        EXPECT_EQ(step.consumed, input.size()) << "need_more must consume everything";
        break;
      }
      if (step.event == FrameParser::Event::error) {
        out.push_back(std::string("error ") + to_string(parser.error()));
        return out;
      }
      if (step.event == FrameParser::Event::frame_start) {
        const FrameHeader& h = parser.header();
        out.push_back("start " + std::string(to_string(h.opcode)) + " fin=" + (h.fin ? "1" : "0") +
                      " len=" + std::to_string(h.payload_length));
        payload.clear();
      } else if (step.event == FrameParser::Event::payload) {
        EXPECT_TRUE(inside(step.data, input));
        EXPECT_EQ(step.data.data(), input.data()) << "payload starts at the first unconsumed byte";
        EXPECT_EQ(step.data.size(), step.consumed);
        EXPECT_FALSE(step.data.empty());
        payload.append(step.data.data(), step.data.size());
      } else {
        EXPECT_EQ(step.consumed, 0u);
        out.push_back("payload " + payload);
        out.push_back("end");
      }
      input = input.subspan(step.consumed);
    }
  }
  out.push_back("need_more");
  return out;
}

// MessageReader transcript: "<text|binary> first=<len> single=<0|1>: <bytes>" per message,
// "ping: <bytes>", "pong: <bytes>", "close <code>: <reason>", then "error <name> <code>" or
// "need_more".
inline std::vector<std::string> drive_messages(std::string_view wire, Role role, const Cuts& cuts,
                                               FrameLimits limits = {}) {
  MessageReader reader(role, limits);
  GuardedBuffer guard(wire.size() + 1);
  std::vector<std::string> out;
  std::string message;
  std::string head;
  size_t begin = 0;
  for (size_t piece = 0; piece <= cuts.size(); ++piece) {
    const size_t end = piece < cuts.size() ? cuts[piece] : wire.size();
    std::span<char> input = guard.place(wire.substr(begin, end - begin));
    begin = end;
    for (;;) {
      const MessageReader::Step step = reader.next(input);
      EXPECT_LE(step.consumed, input.size());
      using E = MessageReader::Event;
      switch (step.event) {
        case E::need_more:
          EXPECT_EQ(step.consumed, input.size());
          break;
        case E::error:
          out.push_back(std::string("error ") + to_string(reader.error()) + " " +
                        std::to_string(close_code_for(reader.error())));
          return out;
        case E::message_start:
          head = std::string(to_string(step.opcode)) +
                 " first=" + std::to_string(reader.frame_length()) +
                 " single=" + (reader.single_frame() ? "1" : "0");
          message.clear();
          break;
        case E::data:
          EXPECT_TRUE(inside(step.data, input));
          EXPECT_FALSE(step.data.empty());
          message.append(step.data.data(), step.data.size());
          break;
        case E::message_end:
          out.push_back(head + ": " + message);
          break;
        case E::ping:
        case E::pong:
          out.push_back(std::string(to_string(step.opcode)) + ": " +
                        std::string(step.data.data(), step.data.size()));
          break;
        case E::close:
          out.push_back("close " + std::to_string(reader.close_code()) + ": " +
                        std::string(reader.close_reason()));
          break;
      }
      if (step.event == E::need_more) break;
      input = input.subspan(step.consumed);
    }
  }
  out.push_back("need_more");
  return out;
}

inline Cuts split_at(size_t k) {
  return Cuts{k};
}
inline Cuts byte_by_byte(size_t n) {
  Cuts c;
  for (size_t i = 1; i < n; ++i)
    c.push_back(i);
  return c;
}

// Runs `drive` whole, split at every offset and byte by byte: all transcripts must agree.
template <typename Drive>
std::vector<std::string> expect_split_invariant(std::string_view wire, Drive drive) {
  const std::vector<std::string> whole = drive(wire, Cuts{});
  for (size_t k = 1; k < wire.size(); ++k) {
    EXPECT_EQ(drive(wire, split_at(k)), whole) << "split at " << k;
  }
  if (wire.size() > 1) {
    EXPECT_EQ(drive(wire, byte_by_byte(wire.size())), whole) << "byte by byte";
  }
  return whole;
}

}  // namespace anvil::ws::test
