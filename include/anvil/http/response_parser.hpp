#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "anvil/http/fields.hpp"
#include "anvil/http/message_parser.hpp"
#include "anvil/http/parse_error.hpp"

namespace anvil::http {

// A parsed status line and header section. All views point into the caller's buffer and stay
// valid until the caller discards the head's bytes.
struct ResponseHead {
  int minor_version = 1;  // HTTP/1.<minor>
  int status = 0;
  std::string_view reason;
  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;  // bytes of body when framing == content_length, else 0
  bool keep_alive = false;      // the connection may carry another response after this one
  // Transfer-Encoding and Content-Length were both present. Transfer-Encoding wins (RFC 9112
  // §6.3 item 3) and keep_alive is forced off, since the framing is suspect (smuggling).
  bool framing_conflict = false;

  std::span<const Header> headers() const noexcept { return {fields.data(), field_count}; }
  // The first field named `name` (ASCII case-insensitive), or nullptr.
  const Header* find(std::string_view name) const noexcept;

  std::array<Header, kMaxHeaders> fields{};
  size_t field_count = 0;
};

// Incremental, zero-copy HTTP/1.1 response parser (RFC 9112) with a pull interface. It never
// allocates and never reads outside the input it is given.
//
// Each call gets the unconsumed bytes of the connection buffer, starting where the previous
// call's `consumed` ended; the caller discards consumed bytes and may move the rest.
//
//   Event::need_more: all useful input was consumed. While the head is incomplete the head's
//     bytes are NOT consumed: pass them again followed by more bytes; the parser remembers how
//     far it scanned and does not rescan them. (consumed may be non-zero only when 1xx interim
//     responses were skipped.) In the body, input is consumed byte-exactly.
//   Event::head: the head is parsed (consumed = its bytes; head() views remain valid until the
//     caller discards them). 1xx interim responses other than 101 are skipped silently and
//     counted in interim_count(); 101 is returned as a final head with no body and
//     keep_alive off (this client never asks to switch protocols).
//   Event::body: `body` is body data (chunk data, for chunked) inside the input.
//   Event::complete: the response ended; `body` holds its last body bytes, possibly empty.
//     Call start() before the next response on the connection (pipelining); calling next()
//     without start() begins a response to a non-HEAD request.
//   Event::error: error() says why; the connection must be closed.
//
// Strictness choices (RFC 9112 unless noted): lines end in CRLF (bare LF and bare CR are
// errors); obs-fold is an error; the reason phrase may be omitted with its SP (as h11 allows);
// status must be 100..599; Content-Length must be digits, identical list members allowed;
// Transfer-Encoding: codings gzip/deflate/compress (+x-) before a final chunked, otherwise
// read until close (§6.3 item 4); unknown codings and chunked twice are errors; a
// Transfer-Encoding in an HTTP/1.0 response is honoured but forces keep_alive off (§6.1).
class ResponseParser {
 public:
  using Event = ParseEvent;
  using Step = ParseStep;

  explicit ResponseParser(const ParserLimits& limits = {}) noexcept;

  // Prepares for the next response; head_request: it answers a HEAD (so it has no body).
  void start(bool head_request) noexcept;

  Step next(std::string_view input) noexcept;

  // The peer closed the connection: completes an until_close body; returns need_more if no
  // byte of this response was seen (a clean close between responses); else an error
  // (truncated_body).
  Step finish_eof() noexcept;

  const ResponseHead& head() const noexcept { return head_; }
  ParseError error() const noexcept { return state_.error(); }
  uint32_t interim_count() const noexcept { return interim_count_; }
  uint64_t body_bytes() const noexcept { return state_.body_bytes(); }  // of the current response

 private:
  Step parse_head(std::string_view input) noexcept;
  ParseError parse_status_line(std::string_view line, size_t line_start) noexcept;
  // Builds head_ from the complete head's bytes and decides framing; interim: a 1xx to skip.
  ParseError finish_head(std::string_view head, bool& interim) noexcept;

  ParserLimits limits_;
  bool head_request_ = false;
  uint32_t interim_count_ = 0;
  detail::MessageState state_;
  detail::HeadScanner scanner_;
  // The reason phrase, relative to the start of the head being parsed.
  size_t reason_begin_ = 0, reason_size_ = 0;
  ResponseHead head_;
};

}  // namespace anvil::http
