#include "anvil/ws/frame_parser.hpp"

#include <algorithm>
#include <cstring>

namespace anvil::ws {

namespace {

bool known_opcode(uint8_t op) noexcept {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

void FrameParser::reset() noexcept {
  *this = FrameParser(role_, limits_);
}

FrameParser::Step FrameParser::fail(FrameError error, size_t consumed) noexcept {
  state_ = State::error;
  error_ = error;
  return {Event::error, consumed, {}};
}

FrameParser::Step FrameParser::next(std::span<char> input) noexcept {
  switch (state_) {
    case State::header:
      return parse_header(input);
    case State::payload: {
      if (remaining_ == 0) {
        state_ = State::header;
        have_ = 0;
        need_ = 2;
        return {Event::frame_end, 0, {}};
      }
      if (input.empty()) return {Event::need_more, 0, {}};
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
      std::span<char> data = input.first(n);
      if (header_.masked) phase_ = static_cast<uint8_t>(apply_mask(data, header_.mask, phase_));
      remaining_ -= n;
      return {Event::payload, n, data};
    }
    case State::error:
      break;
  }
  return {Event::error, 0, {}};
}

FrameParser::Step FrameParser::parse_header(std::span<char> input) noexcept {
  size_t used = 0;
  for (;;) {
    const size_t take = std::min<size_t>(need_ - have_, input.size() - used);
    if (take != 0) std::memcpy(buf_ + have_, input.data() + used, take);  // data() may be null
    have_ = static_cast<uint8_t>(have_ + take);
    used += take;
    if (have_ < need_) return {Event::need_more, used, {}};
    if (need_ == 2) {
      // Everything the first two bytes can reveal is checked before waiting for the rest.
      if (const FrameError e = check_first_bytes(); e != FrameError::none) return fail(e, used);
      if (need_ > 2) continue;
    }
    if (const FrameError e = finish_header(); e != FrameError::none) return fail(e, used);
    state_ = State::payload;
    return {Event::frame_start, used, {}};
  }
}

FrameError FrameParser::check_first_bytes() noexcept {
  const auto b0 = static_cast<uint8_t>(buf_[0]);
  const auto b1 = static_cast<uint8_t>(buf_[1]);
  // §5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated; none is.
  if ((b0 & 0x70) != 0) return FrameError::reserved_bits;
  const uint8_t op = b0 & 0x0F;
  if (!known_opcode(op)) return FrameError::unknown_opcode;
  const bool fin = (b0 & 0x80) != 0;
  const bool masked = (b1 & 0x80) != 0;
  const uint8_t len7 = b1 & 0x7F;
  const auto opcode = static_cast<Opcode>(op);
  if (is_control(opcode)) {
    // §5.5: control frames MUST have a payload of 125 bytes or less and MUST NOT be fragmented.
    if (!fin) return FrameError::control_fragmented;
    if (len7 > kMaxControlPayload) return FrameError::control_too_long;
  } else if (opcode == Opcode::continuation) {
    if (!in_message_) return FrameError::unexpected_continuation;  // §5.4
  } else if (in_message_) {
    return FrameError::expected_continuation;  // §5.4: fragments of one message are contiguous
  }
  // §5.1: a server MUST close on an unmasked client frame; a client on a masked server frame.
  if (role_ == Role::server && !masked) return FrameError::mask_required;
  if (role_ == Role::client && masked) return FrameError::mask_forbidden;
  header_.opcode = opcode;
  header_.fin = fin;
  header_.masked = masked;
  need_ = static_cast<uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0));
  return FrameError::none;
}

FrameError FrameParser::finish_header() noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(buf_);
  const uint8_t len7 = b[1] & 0x7F;
  uint64_t length = len7;
  size_t at = 2;
  if (len7 == 126) {
    length = (uint64_t{b[2]} << 8) | b[3];
    at = 4;
    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    if (length < 126) return FrameError::non_minimal_length;
  } else if (len7 == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i)
      length = (length << 8) | b[2 + i];
    at = 10;
    if ((length >> 63) != 0) return FrameError::length_msb_set;
    if (length <= 0xFFFF) return FrameError::non_minimal_length;
  }
  if (header_.masked) std::memcpy(header_.mask.data(), b + at, 4);
  header_.payload_length = length;

  if (!is_control(header_.opcode)) {
    if (header_.opcode != Opcode::continuation) message_size_ = 0;
    // Written so it cannot overflow: message_size_ <= max_message_size always holds.
    if (length > limits_.max_message_size - message_size_) return FrameError::message_too_big;
    message_size_ += length;
    in_message_ = !header_.fin;
  }
  remaining_ = length;
  phase_ = 0;
  return FrameError::none;
}

}  // namespace anvil::ws
