#pragma once

// What RequestParser and ResponseParser have in common: the step their pull interface returns,
// and (namespace detail, not for users) the head scanner and the message state both are built
// from. The start line, the meaning of the fields and the choice of framing stay in each parser.
// Everything here lives by value inside a parser: nothing allocates.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "anvil/http/chunked.hpp"
#include "anvil/http/fields.hpp"
#include "anvil/http/parse_error.hpp"
#include "anvil/http/syntax.hpp"

namespace anvil::http {

// What one call of a parser's next() did; see RequestParser and ResponseParser for the contract.
enum class ParseEvent : uint8_t { need_more, head, body, complete, error };
struct ParseStep {
  ParseEvent event;
  size_t consumed;        // bytes of the input used by this step
  std::string_view body;  // body data inside the input (ParseEvent::body / complete)
};

namespace detail {

// Finds the lines of a head (start line, field lines, blank line) in bytes that arrive in
// pieces. Its state survives across calls, so bytes seen in an earlier call are not rescanned:
// the caller passes the same head again, longer. Field lines are split as they complete and
// kept as 32-bit offsets from the start of the head, so the caller's buffer may move between
// calls; fill_fields() turns them into views once the head is complete.
class HeadScanner {
 public:
  struct Limits {
    size_t max_head_bytes;  // start line + fields + blank line (with leading empty lines)
    size_t max_headers;     // field lines; at most kMaxHeaders
    // The start line without CRLF; longer: ParseError::request_line_too_long. SIZE_MAX: none.
    size_t max_start_line;
    ParseError bad_start_line;    // a CTL or a bare LF before the start line ended
    int max_leading_empty_lines;  // CRLFs skipped before the start line (RFC 9112 §2.2)
  };

  explicit HeadScanner(const Limits& limits) noexcept : limits_(limits) {}

  // Forgets the head scanned so far: the next byte is the first of a new head.
  void reset() noexcept {
    scan_ = 0;
    line_start_ = 0;
    start_done_ = false;
    leading_empty_lines_ = 0;
    field_count_ = 0;
  }

  // Scans `head` (the bytes of the head so far, from its first byte) from where the previous
  // call stopped. Once the blank line ends the head, head_size = its bytes (else it stays 0).
  // The start line goes to on_start_line(line, line_start) -> ParseError, line without CRLF
  // and line_start its offset in the head, when its CRLF arrives; every byte of it is already
  // known to be a field character. Returns the first error, in an order that does not depend
  // on how the bytes were split into calls.
  template <typename OnStartLine>
  ParseError scan(std::string_view head, OnStartLine&& on_start_line, size_t& head_size) noexcept;

  // Views of the field lines of the complete head that starts at `head`; returns their count.
  size_t fill_fields(const char* head, std::array<Header, kMaxHeaders>& fields) const noexcept {
    for (size_t k = 0; k < field_count_; ++k) {
      const FieldOffsets& o = offsets_[k];
      fields[k] = {std::string_view(head + o.name_begin, o.name_size),
                   std::string_view(head + o.value_begin, o.value_size)};
    }
    return field_count_;
  }

 private:
  struct FieldOffsets {
    uint32_t name_begin, name_size, value_begin, value_size;
  };

  Limits limits_;
  size_t scan_ = 0;        // next byte to examine
  size_t line_start_ = 0;  // start of the current line
  bool start_done_ = false;
  int leading_empty_lines_ = 0;
  size_t field_count_ = 0;
  std::array<FieldOffsets, kMaxHeaders> offsets_{};
};

// Where a message is (its head, its body under one framing, done, failed) and the body's
// framing state. The parser owns the head; this steps the body and answers finish_eof().
class MessageState {
 public:
  enum class Phase : uint8_t { head, body_length, body_chunked, body_close, done, error };

  // A new message: in its head, no error, no byte of it seen.
  void reset() noexcept {
    phase_ = Phase::head;
    error_ = ParseError::none;
    remaining_ = 0;
    body_bytes_ = 0;
    seen_bytes_ = false;
  }

  Phase phase() const noexcept { return phase_; }
  ParseError error() const noexcept { return error_; }
  uint64_t body_bytes() const noexcept { return body_bytes_; }
  // Some byte of this message arrived (then an EOF truncates it).
  void saw(std::string_view input) noexcept {
    if (!input.empty()) seen_bytes_ = true;
  }

  ParseStep fail(ParseError error) noexcept {
    phase_ = Phase::error;
    error_ = error;
    return {ParseEvent::error, 0, {}};
  }

  // The head is complete; the body is `length` bytes (0: none), chunked, or ends at close.
  void body_length(uint64_t length) noexcept {
    remaining_ = length;
    phase_ = Phase::body_length;
  }
  void body_chunked(uint64_t max_chunk_size, size_t max_trailer_bytes, uint64_t max_body) noexcept {
    chunked_.reset(max_chunk_size, max_trailer_bytes, max_body);
    phase_ = Phase::body_chunked;
  }
  void body_until_close() noexcept { phase_ = Phase::body_close; }

  // One step of the body (any phase but head and done; error repeats the error). Input is
  // consumed byte-exactly.
  ParseStep next_body(std::string_view input) noexcept {
    switch (phase_) {
      case Phase::body_length: {
        if (remaining_ == 0) {
          phase_ = Phase::done;
          return {ParseEvent::complete, 0, {}};
        }
        if (input.empty()) return {ParseEvent::need_more, 0, {}};
        const size_t take = static_cast<size_t>(
            std::min<uint64_t>(remaining_, static_cast<uint64_t>(input.size())));
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) {
          phase_ = Phase::done;
          return {ParseEvent::complete, take, input.substr(0, take)};
        }
        return {ParseEvent::body, take, input.substr(0, take)};
      }
      case Phase::body_chunked: {
        const ChunkedDecoder::Result r = chunked_.feed(input);
        switch (r.status) {
          case ChunkedDecoder::Status::data:
            body_bytes_ += r.data.size();
            return {ParseEvent::body, r.consumed, r.data};
          case ChunkedDecoder::Status::done:
            phase_ = Phase::done;
            return {ParseEvent::complete, r.consumed, {}};
          case ChunkedDecoder::Status::need_more:
            return {ParseEvent::need_more, r.consumed, {}};
          case ChunkedDecoder::Status::error:
            break;
        }
        ParseStep step = fail(chunked_.error());
        step.consumed = r.consumed;
        return step;
      }
      case Phase::body_close:
        if (input.empty()) return {ParseEvent::need_more, 0, {}};
        body_bytes_ += input.size();
        return {ParseEvent::body, input.size(), input};
      case Phase::head:
      case Phase::done:
      case Phase::error:
        break;
    }
    return {ParseEvent::error, 0, {}};
  }

  // The peer closed the connection: need_more if no byte of this message was seen (a clean
  // close between messages) or it was already complete; complete if nothing was left of a
  // length body or the body ends at close (RFC 9112 §6.3 item 8); else truncated_body.
  ParseStep finish_eof() noexcept {
    switch (phase_) {
      case Phase::head:
        if (!seen_bytes_) return {ParseEvent::need_more, 0, {}};
        break;
      case Phase::body_length:
        if (remaining_ == 0) {
          phase_ = Phase::done;
          return {ParseEvent::complete, 0, {}};
        }
        break;
      case Phase::body_close:
        phase_ = Phase::done;
        return {ParseEvent::complete, 0, {}};
      case Phase::done:
        return {ParseEvent::need_more, 0, {}};
      case Phase::error:
        return {ParseEvent::error, 0, {}};
      case Phase::body_chunked:
        break;
    }
    return fail(ParseError::truncated_body);
  }

 private:
  Phase phase_ = Phase::head;
  ParseError error_ = ParseError::none;
  bool seen_bytes_ = false;
  uint64_t remaining_ = 0;  // body_length: bytes left
  uint64_t body_bytes_ = 0;
  ChunkedDecoder chunked_;
};

// Every byte of the head is checked once by the field-character loop; a line's structure is
// parsed once when its CRLF arrives.
template <typename OnStartLine>
ParseError HeadScanner::scan(std::string_view head, OnStartLine&& on_start_line,
                             size_t& head_size) noexcept {
  // Bytes past the limit can never belong to an acceptable head.
  const size_t limit = std::min(head.size(), limits_.max_head_bytes);
  const char* p = head.data();
  size_t i = scan_;
  while (i < limit) {
    while (i < limit && syntax::is_field_char(p[i]))
      ++i;
    if (i >= limit) break;
    // Whatever ends the start line, its length is judged first, so the verdict does not
    // depend on how the bytes were split into reads.
    if (!start_done_ && i - line_start_ > limits_.max_start_line) {
      return ParseError::request_line_too_long;
    }
    if (p[i] == '\r') {
      if (i + 1 >= limit) break;
      // RFC 9112 §2.2: a bare CR is invalid outside the body.
      if (p[i + 1] != '\n') return ParseError::bare_cr;
      const std::string_view line(p + line_start_, i - line_start_);
      const size_t next_line = i + 2;
      if (!start_done_) {
        // RFC 9112 §2.2: a server ignores a few empty lines before the request line.
        if (line.empty() && leading_empty_lines_ < limits_.max_leading_empty_lines) {
          ++leading_empty_lines_;
        } else {
          const ParseError error = on_start_line(line, line_start_);
          if (error != ParseError::none) return error;
          start_done_ = true;
        }
      } else if (line.empty()) {
        scan_ = line_start_ = next_line;
        head_size = next_line;
        return ParseError::none;
      } else {
        if (field_count_ >= limits_.max_headers) return ParseError::too_many_headers;
        Header field;
        const ParseError error = parse_field_line(line, field);
        if (error != ParseError::none) return error;
        offsets_[field_count_++] = {static_cast<uint32_t>(field.name.data() - p),
                                    static_cast<uint32_t>(field.name.size()),
                                    static_cast<uint32_t>(field.value.data() - p),
                                    static_cast<uint32_t>(field.value.size())};
      }
      line_start_ = i = next_line;
      continue;
    }
    // A CTL other than HTAB, or a bare LF (lines must end in CRLF: RFC 9112 §2.2).
    if (!start_done_) return limits_.bad_start_line;
    if (p[i] == '\n') return ParseError::bad_header_value;
    const bool in_value = std::memchr(p + line_start_, ':', i - line_start_) != nullptr;
    return in_value ? ParseError::bad_header_value : ParseError::bad_header_name;
  }
  scan_ = i;
  // The start line's own limit is checked before the head's: it is usually the smaller.
  if (!start_done_ && i - line_start_ > limits_.max_start_line) {
    return ParseError::request_line_too_long;
  }
  if (head.size() >= limits_.max_head_bytes) return ParseError::head_too_large;
  return ParseError::none;
}

}  // namespace detail
}  // namespace anvil::http
