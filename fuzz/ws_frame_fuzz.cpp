// Fuzz target for anvil::ws::FrameParser and MessageReader.
// Input: byte 0 = flags (bit 0: client role, bit 1: 300-byte message limit), byte 1 = seed
// for split points, the rest = the bytes a peer sent.
//  - FrameParser over seeded random pieces, each an exact-size heap copy (ASan sees any read
//    past the end). Checked: need_more consumes everything; payload views are the next bytes
//    of the input; every payload byte equals the original byte XOR the mask key at its frame
//    offset (a naive per-byte oracle for the 8-byte unmasking); frames end after exactly
//    payload_length bytes; accepted headers respect the RFC limits and re-encode byte for byte
//    with encode_frame_header (the parser only accepts minimal lengths and RSV = 0).
//  - MessageReader in one piece and in pieces: same messages, control frames and error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/ws/frame.hpp"
#include "anvil/ws/frame_parser.hpp"
#include "anvil/ws/message_reader.hpp"

namespace {

using namespace anvil::ws;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

struct Splitter {
  uint32_t state;
  size_t next(size_t left) {
    state = state * 1103515245u + 12345u;
    const size_t choice = (state >> 16) % 4 == 0 ? 1 : 1 + (state >> 8) % 40;
    return choice < left ? choice : left;
  }
};

void check_frames(std::string_view wire, Role role, FrameLimits limits, uint8_t seed) {
  FrameParser parser(role, limits);
  Splitter split{seed * 2654435761u + 7};
  size_t at = 0;              // absolute offset of the next unconsumed wire byte
  size_t header_begin = 0;    // absolute offset where the current frame's header began
  uint64_t frame_offset = 0;  // payload bytes of the current frame seen so far
  while (at < wire.size()) {
    const size_t piece = split.next(wire.size() - at);
    std::unique_ptr<char[]> copy(new char[piece]);
    std::memcpy(copy.get(), wire.data() + at, piece);
    std::span<char> in(copy.get(), piece);
    for (;;) {
      const FrameParser::Step s = parser.next(in);
      FUZZ_CHECK(s.consumed <= in.size());
      if (s.event == FrameParser::Event::error) {
        FUZZ_CHECK(parser.error() != FrameError::none);
        FUZZ_CHECK(parser.next(in.subspan(s.consumed)).event == FrameParser::Event::error);
        return;
      }
      if (s.event == FrameParser::Event::need_more) {
        FUZZ_CHECK(s.consumed == in.size());
        at += s.consumed;
        break;
      }
      const FrameHeader& h = parser.header();
      if (s.event == FrameParser::Event::frame_start) {
        const size_t end = at + s.consumed;
        std::array<char, kMaxFrameHeaderSize> again{};
        const size_t n = encode_frame_header(again, h.opcode, h.fin, h.payload_length,
                                             h.masked ? &h.mask : nullptr);
        FUZZ_CHECK(n == end - header_begin);
        FUZZ_CHECK(std::memcmp(again.data(), wire.data() + header_begin, n) == 0);
        FUZZ_CHECK(h.masked == (role == Role::server));
        FUZZ_CHECK(!is_control(h.opcode) || (h.fin && h.payload_length <= kMaxControlPayload));
        FUZZ_CHECK(h.payload_length <= limits.max_message_size);
        frame_offset = 0;
      } else if (s.event == FrameParser::Event::payload) {
        FUZZ_CHECK(s.data.data() == in.data() && s.data.size() == s.consumed && !s.data.empty());
        for (size_t i = 0; i < s.data.size(); ++i) {
          const uint8_t key = h.masked ? h.mask[(frame_offset + i) % 4] : 0;
          FUZZ_CHECK(static_cast<uint8_t>(s.data[i]) == (static_cast<uint8_t>(wire[at + i]) ^ key));
        }
        frame_offset += s.data.size();
        FUZZ_CHECK(frame_offset + parser.remaining() == h.payload_length);
      } else {
        FUZZ_CHECK(s.consumed == 0 && frame_offset == h.payload_length);
        header_begin = at;
      }
      at += s.consumed;
      in = in.subspan(s.consumed);
    }
  }
}

struct Summary {
  std::vector<std::string> events;
  FrameError error = FrameError::none;
  bool operator==(const Summary&) const = default;
};

Summary read_messages(std::string_view wire, Role role, FrameLimits limits, uint8_t seed,
                      bool split) {
  MessageReader reader(role, limits);
  Splitter splitter{seed * 40503u + 1};
  Summary out;
  std::string message;
  size_t at = 0;
  while (at < wire.size()) {
    const size_t piece = split ? splitter.next(wire.size() - at) : wire.size() - at;
    std::unique_ptr<char[]> copy(new char[piece]);
    std::memcpy(copy.get(), wire.data() + at, piece);
    at += piece;
    std::span<char> in(copy.get(), piece);
    for (bool more = true; more;) {
      const MessageReader::Step s = reader.next(in);
      FUZZ_CHECK(s.consumed <= in.size());
      using E = MessageReader::Event;
      switch (s.event) {
        case E::need_more:
          FUZZ_CHECK(s.consumed == in.size());
          more = false;
          break;
        case E::error:
          out.error = reader.error();
          return out;
        case E::message_start:
          message.assign(1, static_cast<char>(s.opcode));
          break;
        case E::data:
          FUZZ_CHECK(s.data.data() >= in.data() &&
                     s.data.data() + s.data.size() <= in.data() + in.size());
          message.append(s.data.data(), s.data.size());
          break;
        case E::message_end:
          out.events.push_back(message);
          break;
        case E::ping:
        case E::pong:
          FUZZ_CHECK(s.data.size() <= kMaxControlPayload);
          out.events.push_back(std::string(1, static_cast<char>(s.opcode)) +
                               std::string(s.data.data(), s.data.size()));
          break;
        case E::close:
          FUZZ_CHECK(reader.close_code() == close_code::no_status ||
                     is_valid_close_code(reader.close_code()));
          out.events.push_back("close" + std::to_string(reader.close_code()) +
                               std::string(reader.close_reason()));
          break;
      }
      in = in.subspan(s.consumed);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Role role = (data[0] & 1) != 0 ? Role::client : Role::server;
  FrameLimits limits;
  if ((data[0] & 2) != 0) limits.max_message_size = 300;
  const uint8_t seed = data[1];
  const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  check_frames(wire, role, limits, seed);
  const Summary whole = read_messages(wire, role, limits, seed, false);
  const Summary pieces = read_messages(wire, role, limits, seed, true);
  FUZZ_CHECK(whole == pieces);
  return 0;
}
