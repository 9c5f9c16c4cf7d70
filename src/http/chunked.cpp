#include "anvil/http/chunked.hpp"

#include <algorithm>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

void ChunkedDecoder::reset(uint64_t max_chunk_size, size_t max_trailer_bytes,
                           uint64_t max_body) noexcept {
  state_ = State::size_first;
  error_ = ParseError::none;
  chunk_size_ = 0;
  body_bytes_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  max_chunk_size_ = max_chunk_size;
  max_trailer_bytes_ = max_trailer_bytes;
  max_body_ = max_body;
}

ChunkedDecoder::Result ChunkedDecoder::fail(ParseError error, size_t consumed) noexcept {
  state_ = State::error;
  error_ = error;
  return {Status::error, consumed, {}};
}

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

// The grammar (RFC 9112 §7.1, §7.1.1, §7.1.2):
//   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   last-chunk = 1*("0") [ chunk-ext ] CRLF
//   chunk-ext  = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / qstring
//   trailer-section = *( field-line CRLF ), then CRLF
// Framing bytes are handled one at a time; chunk data is returned as one view.
ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view input) noexcept {
  size_t i = 0;
  const size_t n = input.size();
  while (i < n) {
    if (state_ == State::data) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(chunk_size_, static_cast<uint64_t>(n - i)));
      chunk_size_ -= take;
      body_bytes_ += take;
      if (chunk_size_ == 0) state_ = State::data_cr;
      return {Status::data, i + take, input.substr(i, take)};
    }
    const char c = input[i++];
    switch (state_) {
      case State::size_first:
      case State::size:
        if (syntax::is(c, syntax::kHexDigit)) {
          if (chunk_size_ > (max_chunk_size_ >> 4)) return fail(ParseError::bad_chunk_size, i);
          chunk_size_ = (chunk_size_ << 4) | static_cast<uint64_t>(hex_value(c));
          if (chunk_size_ > max_chunk_size_) return fail(ParseError::bad_chunk_size, i);
          state_ = State::size;
          break;
        }
        if (state_ == State::size_first) return fail(ParseError::bad_chunk_size, i);
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (syntax::is_ows(c)) {
          state_ = State::ext_bws;
        } else if (c == ';') {
          state_ = State::ext_name_start;
        } else {
          return fail(ParseError::bad_chunk_size, i);
        }
        break;
      case State::ext_bws:
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else if (!syntax::is_ows(c)) {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_name_start:
        if (syntax::is_tchar(c)) {
          state_ = State::ext_name;
        } else if (!syntax::is_ows(c)) {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_name:
      case State::ext_after_name:
        if (state_ == State::ext_name && syntax::is_tchar(c)) break;
        if (c == '=') {
          state_ = State::ext_value_start;
        } else if (c == ';') {
          state_ = State::ext_name_start;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else if (syntax::is_ows(c)) {
          state_ = State::ext_after_name;
        } else {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_value_start:
        if (c == '"') {
          state_ = State::ext_quoted;
        } else if (syntax::is_tchar(c)) {
          state_ = State::ext_token;
        } else if (!syntax::is_ows(c)) {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_token:
        if (syntax::is_tchar(c)) break;
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else if (syntax::is_ows(c)) {
          state_ = State::ext_bws;
        } else {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_quoted:
        if (c == '"') {
          state_ = State::ext_bws;
        } else if (c == '\\') {
          state_ = State::ext_quoted_escape;
        } else if (!syntax::is(c, syntax::kQdText)) {
          return fail(ParseError::bad_chunk_extension, i);
        }
        break;
      case State::ext_quoted_escape:
        if (!syntax::is_field_char(c)) return fail(ParseError::bad_chunk_extension, i);
        state_ = State::ext_quoted;
        break;
      case State::size_lf:
        if (c != '\n') return fail(ParseError::bad_chunk_size, i);
        // body_bytes_ counts every earlier chunk in full: their data has all been returned.
        if (chunk_size_ > max_body_ - body_bytes_) return fail(ParseError::body_too_large, i);
        line_bytes_ = 0;
        state_ = chunk_size_ == 0 ? State::trailer_line_start : State::data;
        continue;
      case State::data_cr:
        if (c != '\r') return fail(ParseError::bad_chunk_terminator, i);
        state_ = State::data_lf;
        continue;
      case State::data_lf:
        if (c != '\n') return fail(ParseError::bad_chunk_terminator, i);
        state_ = State::size_first;
        continue;
      case State::trailer_line_start:
        if (c == '\r') {
          state_ = State::end_lf;
        } else if (syntax::is_tchar(c)) {
          state_ = State::trailer_name;
        } else {
          return fail(ParseError::bad_trailer, i);
        }
        break;
      case State::trailer_name:
        if (c == ':') {
          state_ = State::trailer_value;
        } else if (!syntax::is_tchar(c)) {
          return fail(ParseError::bad_trailer, i);
        }
        break;
      case State::trailer_value:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (!syntax::is_field_char(c)) {
          return fail(ParseError::bad_trailer, i);
        }
        break;
      case State::trailer_lf:
        if (c != '\n') return fail(ParseError::bad_trailer, i);
        state_ = State::trailer_line_start;
        break;
      case State::end_lf:
        if (c != '\n') return fail(ParseError::bad_trailer, i);
        state_ = State::done;
        return {Status::done, i, {}};
      case State::data:
        break;  // handled above
      case State::done:
        return {Status::done, i - 1, {}};
      case State::error:
        return {Status::error, i - 1, {}};
    }
    // Only size lines and trailer lines reach here (their CRLF bytes `continue` or return).
    if (state_ >= State::trailer_line_start) {
      if (++trailer_bytes_ > max_trailer_bytes_) return fail(ParseError::bad_trailer, i);
    } else if (++line_bytes_ > kMaxSizeLineBytes) {
      return fail(ParseError::bad_chunk_extension, i);
    }
  }
  if (state_ == State::done) return {Status::done, i, {}};
  if (state_ == State::error) return {Status::error, i, {}};
  return {Status::need_more, i, {}};
}

}  // namespace anvil::http
