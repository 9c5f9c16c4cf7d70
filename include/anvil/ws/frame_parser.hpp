#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "anvil/ws/frame.hpp"

namespace anvil::ws {

struct FrameLimits {
  // Largest message (sum of its fragments' payloads); a frame that would exceed it is
  // rejected at its header, before any of its payload is delivered (FrameError::message_too_big).
  uint64_t max_message_size = kDefaultMaxMessageSize;
};

// A frame header as received (RFC 6455 §5.2).
struct FrameHeader {
  Opcode opcode = Opcode::continuation;
  bool fin = false;
  bool masked = false;
  MaskKey mask{};               // valid when masked
  uint64_t payload_length = 0;  // < 2^63
};

// Incremental, zero-copy WebSocket frame parser with a pull interface. Never allocates and
// never reads outside the input it is given. Payload is unmasked IN PLACE in the caller's
// buffer, which is why the input is mutable.
//
// Each call gets the unconsumed bytes of the connection buffer, starting where the previous
// call's `consumed` ended. Input is always consumed byte-exactly: header bytes are kept in the
// parser (at most 14), so need_more means every input byte was consumed and the caller may
// reuse its whole buffer for the next read.
//
//   Event::need_more:   all input consumed; read more.
//   Event::frame_start: a header was parsed (header() describes it).
//   Event::payload:     `data` is the next piece of the frame's payload, inside the input,
//                       already unmasked. A frame's payload may come in any number of pieces.
//   Event::frame_end:   the current frame's payload is complete (consumed = 0). Follows
//                       frame_start directly for an empty payload.
//   Event::error:       error() says why; the parser stays in this state. Send a close frame
//                       with close_code_for(error()) and close the connection.
//
// Strictness (RFC 6455 §5): RSV bits must be 0 (this codec negotiates no extension); opcodes
// 3-7 and 11-15 are errors; control frames have FIN = 1 and <= 125 bytes; the mask bit must
// match the role; the 64-bit length has its MSB clear; lengths MUST use the minimal encoding,
// so 126/127 with a value that fits a shorter form is rejected (non_minimal_length; Go
// gorilla/websocket, which AIStore targets use, and Python websockets write minimal lengths);
// fragmentation follows §5.4 (control frames may be interleaved). Validation happens as early
// as possible: a bad first header byte fails without waiting for the rest of the header.
// The parser does not interpret payloads (UTF-8, close codes): see MessageReader.
class FrameParser {
 public:
  enum class Event : uint8_t { need_more, frame_start, payload, frame_end, error };
  struct Step {
    Event event;
    size_t consumed;       // bytes of the input used by this step
    std::span<char> data;  // Event::payload: unmasked payload bytes inside the input
  };

  explicit FrameParser(Role role, const FrameLimits& limits = {}) noexcept
      : role_(role), limits_(limits) {}

  Step next(std::span<char> input) noexcept;

  // The current frame (valid from frame_start through frame_end).
  const FrameHeader& header() const noexcept { return header_; }
  // Payload bytes of the current frame not yet delivered.
  uint64_t remaining() const noexcept { return remaining_; }
  // A fragmented text/binary message is open (its final frame has not started yet).
  bool in_message() const noexcept { return in_message_; }
  FrameError error() const noexcept { return error_; }
  Role role() const noexcept { return role_; }

  // Forgets everything, including an error: for a new connection.
  void reset() noexcept;

 private:
  enum class State : uint8_t { header, payload, error };

  Step parse_header(std::span<char> input) noexcept;
  FrameError check_first_bytes() noexcept;  // bytes 0-1 in buf_
  FrameError finish_header() noexcept;      // the whole header is in buf_
  Step fail(FrameError error, size_t consumed) noexcept;

  Role role_;
  FrameLimits limits_;
  State state_ = State::header;
  FrameError error_ = FrameError::none;
  uint8_t have_ = 0;  // header bytes in buf_
  uint8_t need_ = 2;  // header bytes needed (2 until the first two are known)
  bool in_message_ = false;
  uint8_t phase_ = 0;  // mask phase of the next payload byte
  char buf_[kMaxFrameHeaderSize] = {};
  FrameHeader header_;
  uint64_t remaining_ = 0;
  uint64_t message_size_ = 0;  // payload bytes of the current data message so far
};

}  // namespace anvil::ws
