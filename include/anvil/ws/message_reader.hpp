#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "anvil/ws/frame.hpp"
#include "anvil/ws/frame_parser.hpp"
#include "anvil/ws/utf8.hpp"

namespace anvil::ws {

// Message-level reader on top of FrameParser, still zero-copy for data: fragments of a text or
// binary message arrive as data pieces inside the caller's (unmasked) buffer, text is
// validated as UTF-8 incrementally, and control frames (which may be interleaved with the
// fragments of a message, RFC 6455 §5.4) are surfaced whole. Never allocates.
//
// Same input contract as FrameParser (byte-exact consumption; need_more = all consumed).
//
//   Event::need_more
//   Event::message_start: a text or binary message begins (`opcode`). frame_length() is its
//     first frame's payload length, and single_frame() says whether that is the whole message
//     (so a receiver can size its buffer once).
//   Event::data: `data` is the next piece of the message, inside the input.
//   Event::message_end: the message is complete (`opcode` is its type); for text, all of it
//     was valid UTF-8.
//   Event::ping / Event::pong: `data` is the whole control payload (<= 125 bytes), held in the
//     reader (valid until the next call). A ping must be answered with a pong carrying the
//     same payload (§5.5.2).
//   Event::close: close_code() is the peer's code (close_code::no_status for an empty close
//     payload) and close_reason() its UTF-8 reason (valid until the next call). Reply with a
//     close frame (echoing the code is customary) and close; the reader does not stop the
//     caller from parsing further input, but §5.5.1 says nothing may follow a close frame.
//   Event::error: error() says why (close_code_for(error()) is the code to send); sticky.
class MessageReader {
 public:
  enum class Event : uint8_t {
    need_more,
    message_start,
    data,
    message_end,
    ping,
    pong,
    close,
    error
  };
  struct Step {
    Event event;
    size_t consumed;       // bytes of the input used by this step
    Opcode opcode;         // text/binary for message events; ping/pong/close for control
    std::span<char> data;  // Event::data: inside the input; ping/pong: inside the reader
  };

  explicit MessageReader(Role role, const FrameLimits& limits = {}) noexcept
      : frames_(role, limits) {}

  Step next(std::span<char> input) noexcept;

  uint64_t frame_length() const noexcept { return frames_.header().payload_length; }
  bool single_frame() const noexcept { return frames_.header().fin; }
  uint16_t close_code() const noexcept { return close_code_; }
  std::string_view close_reason() const noexcept {
    return {control_.data() + (control_size_ >= 2 ? 2 : 0),
            control_size_ >= 2 ? control_size_ - 2 : 0};
  }
  FrameError error() const noexcept { return error_; }
  const FrameParser& frames() const noexcept { return frames_; }

  void reset() noexcept;

 private:
  Step finish_control(size_t consumed) noexcept;
  Step fail(FrameError error, size_t consumed) noexcept;

  FrameParser frames_;
  FrameError error_ = FrameError::none;
  Opcode message_opcode_ = Opcode::binary;
  bool in_control_ = false;
  Utf8Validator utf8_;
  uint16_t close_code_ = 0;
  size_t control_size_ = 0;
  std::array<char, kMaxControlPayload> control_{};
};

}  // namespace anvil::ws
