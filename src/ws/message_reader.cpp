#include "anvil/ws/message_reader.hpp"

#include <cstring>

namespace anvil::ws {

void MessageReader::reset() noexcept {
  frames_.reset();
  error_ = FrameError::none;
  message_opcode_ = Opcode::binary;
  in_control_ = false;
  utf8_.reset();
  close_code_ = 0;
  control_size_ = 0;
}

MessageReader::Step MessageReader::fail(FrameError error, size_t consumed) noexcept {
  error_ = error;
  return {Event::error, consumed, message_opcode_, {}};
}

MessageReader::Step MessageReader::next(std::span<char> input) noexcept {
  if (error_ != FrameError::none) return {Event::error, 0, message_opcode_, {}};
  size_t used = 0;
  for (;;) {
    const FrameParser::Step step = frames_.next(input.subspan(used));
    used += step.consumed;
    switch (step.event) {
      case FrameParser::Event::need_more:
        return {Event::need_more, used, message_opcode_, {}};
      case FrameParser::Event::error:
        return fail(frames_.error(), used);
      case FrameParser::Event::frame_start: {
        const Opcode op = frames_.header().opcode;
        if (is_control(op)) {
          in_control_ = true;
          control_size_ = 0;
          continue;
        }
        if (op == Opcode::continuation) continue;
        message_opcode_ = op;
        utf8_.reset();
        return {Event::message_start, used, op, {}};
      }
      case FrameParser::Event::payload:
        if (in_control_) {
          // A control payload may be split across reads; it is at most 125 bytes, so it is
          // gathered here and surfaced whole.
          std::memcpy(control_.data() + control_size_, step.data.data(), step.data.size());
          control_size_ += step.data.size();
          continue;
        }
        if (message_opcode_ == Opcode::text && !utf8_.feed(step.data)) {
          return fail(FrameError::invalid_utf8, used);
        }
        return {Event::data, used, message_opcode_, step.data};
      case FrameParser::Event::frame_end:
        if (in_control_) {
          in_control_ = false;
          return finish_control(used);
        }
        if (!frames_.header().fin) continue;
        // §8.1: a text message whose last character is incomplete is invalid too.
        if (message_opcode_ == Opcode::text && !utf8_.complete()) {
          return fail(FrameError::invalid_utf8, used);
        }
        return {Event::message_end, used, message_opcode_, {}};
    }
  }
}

MessageReader::Step MessageReader::finish_control(size_t consumed) noexcept {
  const Opcode op = frames_.header().opcode;
  const std::span<char> payload(control_.data(), control_size_);
  if (op == Opcode::ping) return {Event::ping, consumed, op, payload};
  if (op == Opcode::pong) return {Event::pong, consumed, op, payload};
  // §5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
  if (control_size_ == 0) {
    close_code_ = close_code::no_status;
    return {Event::close, consumed, op, {}};
  }
  if (control_size_ == 1) return fail(FrameError::bad_close_payload, consumed);
  close_code_ = static_cast<uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                      static_cast<unsigned char>(control_[1]));
  if (!is_valid_close_code(close_code_)) return fail(FrameError::bad_close_code, consumed);
  Utf8Validator reason;
  if (!reason.feed(payload.subspan(2)) || !reason.complete()) {
    return fail(FrameError::invalid_close_reason, consumed);
  }
  return {Event::close, consumed, op, payload};
}

}  // namespace anvil::ws
