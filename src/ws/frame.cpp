#include "anvil/ws/frame.hpp"

#include <cstring>

namespace anvil::ws {

const char* to_string(Opcode op) noexcept {
  switch (op) {
    case Opcode::continuation:
      return "continuation";
    case Opcode::text:
      return "text";
    case Opcode::binary:
      return "binary";
    case Opcode::close:
      return "close";
    case Opcode::ping:
      return "ping";
    case Opcode::pong:
      return "pong";
  }
  return "reserved";
}

bool is_valid_close_code(uint16_t code) noexcept {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}

const char* to_string(FrameError error) noexcept {
  switch (error) {
    case FrameError::none:
      return "none";
    case FrameError::reserved_bits:
      return "reserved_bits";
    case FrameError::unknown_opcode:
      return "unknown_opcode";
    case FrameError::control_too_long:
      return "control_too_long";
    case FrameError::control_fragmented:
      return "control_fragmented";
    case FrameError::mask_required:
      return "mask_required";
    case FrameError::mask_forbidden:
      return "mask_forbidden";
    case FrameError::non_minimal_length:
      return "non_minimal_length";
    case FrameError::length_msb_set:
      return "length_msb_set";
    case FrameError::unexpected_continuation:
      return "unexpected_continuation";
    case FrameError::expected_continuation:
      return "expected_continuation";
    case FrameError::message_too_big:
      return "message_too_big";
    case FrameError::invalid_utf8:
      return "invalid_utf8";
    case FrameError::bad_close_payload:
      return "bad_close_payload";
    case FrameError::bad_close_code:
      return "bad_close_code";
    case FrameError::invalid_close_reason:
      return "invalid_close_reason";
  }
  return "unknown";
}

uint16_t close_code_for(FrameError error) noexcept {
  switch (error) {
    case FrameError::none:
      return close_code::normal;
    case FrameError::message_too_big:
      return close_code::message_too_big;
    case FrameError::invalid_utf8:
    case FrameError::invalid_close_reason:
      return close_code::invalid_payload;
    default:
      return close_code::protocol_error;
  }
}

size_t encode_frame_header(std::span<char, kMaxFrameHeaderSize> out, Opcode opcode, bool fin,
                           uint64_t length, const MaskKey* mask) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = static_cast<unsigned char>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
  const unsigned char mask_bit = mask != nullptr ? 0x80 : 0x00;
  size_t size = 2;
  if (length < 126) {
    p[1] = static_cast<unsigned char>(mask_bit | length);
  } else if (length <= 0xFFFF) {
    p[1] = mask_bit | 126;
    p[2] = static_cast<unsigned char>(length >> 8);
    p[3] = static_cast<unsigned char>(length);
    size = 4;
  } else {
    p[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i)
      p[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
    size = 10;
  }
  if (mask != nullptr) {
    std::memcpy(p + size, mask->data(), 4);
    size += 4;
  }
  return size;
}

size_t apply_mask(std::span<char> data, const MaskKey& key, size_t phase) noexcept {
  phase &= 3;
  const size_t n = data.size();
  char* p = data.data();
  // The key rotated so that byte i of the word masks payload byte (phase + i): whole words
  // then need no per-byte index arithmetic. memcpy keeps it independent of endianness and
  // alignment; compilers turn these into plain (vector) loads and stores.
  unsigned char rotated[8];
  for (size_t i = 0; i < 8; ++i)
    rotated[i] = key[(phase + i) & 3];
  uint64_t word;
  std::memcpy(&word, rotated, 8);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t a, b, c, d;
    std::memcpy(&a, p + i, 8);
    std::memcpy(&b, p + i + 8, 8);
    std::memcpy(&c, p + i + 16, 8);
    std::memcpy(&d, p + i + 24, 8);
    a ^= word;
    b ^= word;
    c ^= word;
    d ^= word;
    std::memcpy(p + i, &a, 8);
    std::memcpy(p + i + 8, &b, 8);
    std::memcpy(p + i + 16, &c, 8);
    std::memcpy(p + i + 24, &d, 8);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t a;
    std::memcpy(&a, p + i, 8);
    a ^= word;
    std::memcpy(p + i, &a, 8);
  }
  for (; i < n; ++i)
    p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ rotated[i & 7]);
  return (phase + n) & 3;
}

size_t encode_close_payload(std::span<char, kMaxControlPayload> out, uint16_t code,
                            std::string_view reason) noexcept {
  out[0] = static_cast<char>(code >> 8);
  out[1] = static_cast<char>(code & 0xFF);
  size_t size = reason.size();
  if (size > kMaxControlPayload - 2) {
    size = kMaxControlPayload - 2;
    // Back up over continuation bytes (10xxxxxx) so no character is cut in half.
    while (size > 0 && (static_cast<unsigned char>(reason[size]) & 0xC0) == 0x80)
      --size;
  }
  if (size > 0) std::memcpy(out.data() + 2, reason.data(), size);
  return size + 2;
}

}  // namespace anvil::ws
