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

// What a server accepts before it refuses a request. Each limit has its own status so a
// client can tell which one it hit.
struct RequestLimits {
  size_t max_request_line = 8 * 1024;  // bytes, without CRLF: 414 (request_line_too_long)
  // Leading empty lines + request line + fields + blank line: 431 (head_too_large). Also the
  // bound on a chunked body's trailer section (400, bad_trailer). Clamped to 4 GiB - 1.
  size_t max_head_bytes = 64 * 1024;
  size_t max_headers = kMaxHeaders;  // field lines; clamped to kMaxHeaders: 431
  uint64_t max_body = 16ull << 30;   // bytes of body (decoded, for chunked): 413
};

// How the request-target was written (RFC 9112 §3.2).
enum class TargetForm : uint8_t {
  origin,    // "/path?query"
  absolute,  // "scheme://authority/path?query" (a request meant for a proxy; accepted)
  asterisk,  // "*", only with OPTIONS
};

// A parsed request line and header section. All views point into the caller's buffer (or, for
// path() of an absolute-form target with an empty path, to a static "/") and stay valid until
// the caller discards the head's bytes.
struct RequestHead {
  std::string_view method;  // a token, case-sensitive (RFC 9110 §9.1)
  std::string_view target;  // the request-target exactly as sent
  TargetForm target_form = TargetForm::origin;
  int minor_version = 1;  // HTTP/1.<minor>
  // none (no body: RFC 9112 §6.3 item 7), content_length or chunked; never until_close.
  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;  // bytes of body when framing == content_length, else 0
  bool keep_alive = false;      // the connection may carry another request after this one
  // HTTP/1.1 request with `Expect: 100-continue` (RFC 9110 §10.1.1): the server sends
  // "100 Continue" (or a final status) before it reads the body. Ignored in HTTP/1.0.
  bool expect_continue = false;
  // HTTP/1.1 request with `Upgrade: websocket` and `Connection: upgrade` (RFC 9110 §7.8,
  // RFC 6455 §4.1). The server decides whether to switch; the parser only reports it.
  bool upgrade_websocket = false;
  std::string_view host;  // the Host field value (empty when absent: HTTP/1.0 only)

  std::span<const Header> headers() const noexcept { return {fields.data(), field_count}; }
  // The first field named `name` (ASCII case-insensitive), or nullptr.
  const Header* find(std::string_view name) const noexcept;
  // The path of the target, still percent-encoded: up to '?'. Origin-form "/a/b?x" -> "/a/b";
  // absolute-form "http://h/a?x" -> "/a", "http://h?x" -> "/"; asterisk-form -> "*".
  std::string_view path() const noexcept;
  // The query of the target without '?', still encoded; empty when there is none.
  std::string_view query() const noexcept;

  std::array<Header, kMaxHeaders> fields{};
  size_t field_count = 0;
};

// The status a server answers to a request rejected with `error`: 400, 413 (body_too_large),
// 414 (request_line_too_long), 431 (head_too_large, too_many_headers), 501
// (unsupported_transfer_coding) or 505 (bad_version); 0 for ParseError::none.
int request_error_status(ParseError error) noexcept;

// Incremental, zero-copy HTTP/1.1 request parser (RFC 9112) for a server, with the same pull
// interface as ResponseParser. It never allocates and never reads outside its input.
//
// Each call gets the unconsumed bytes of the connection buffer, starting where the previous
// call's `consumed` ended; the caller discards consumed bytes and may move the rest.
//
//   Event::need_more: all useful input was consumed. While the head is incomplete the head's
//     bytes are NOT consumed (consumed == 0): pass them again followed by more bytes; the
//     parser remembers how far it scanned and does not rescan them. In the body, input is
//     consumed byte-exactly.
//   Event::head: the head is parsed (consumed = its bytes; head() views remain valid until the
//     caller discards them). If head().expect_continue, answer 100 before asking for the body.
//   Event::body: `body` is body data (decoded chunk data, for chunked) inside the input.
//   Event::complete: the request ended; `body` holds its last body bytes, possibly empty.
//     Call start() before the next request on the connection (pipelining); next() after
//     complete without start() also begins the next request.
//   Event::error: error() says why, error_status() what to answer; then close the connection
//     (every error loses the framing, and RFC 9112 §6.1 requires closing after a request with
//     both Content-Length and Transfer-Encoding).
//
// Strictness ("strict and safe by default"; RFC 9112 unless noted):
//   - request-line = method SP request-target SP HTTP-version CRLF (§3), single SPs; the
//     method is a token; the target is VCHARs without '#' in origin-form, absolute-form
//     (scheme "://" non-empty authority) or "*" for OPTIONS (§3.2); authority-form (CONNECT)
//     is rejected: this is not a proxy. HTTP/1.0..1.9 accepted (1.x with x>1 treated as 1.1);
//     a well-formed other major version -> bad_version (505). Up to kMaxLeadingEmptyLines
//     CRLFs before the request line are skipped (§2.2).
//   - lines end in CRLF: bare LF, bare CR (§2.2), obs-fold (§5.2), whitespace before ':'
//     (§5.1) and NUL/CTL in values (RFC 9110 §5.5) are errors (400).
//   - exactly one Host in HTTP/1.1, at most one in HTTP/1.0, with a valid value (§3.2).
//   - Transfer-Encoding (§6.1, §6.3): in HTTP/1.0 -> 400; with Content-Length -> 400
//     (conflicting_framing: smuggling defence; §6.3 item 3 allows rejecting); chunked not the
//     final coding or applied twice -> 400 (§6.3 item 4); chunked after another coding ->
//     501 (we decode no other transfer coding).
//   - Content-Length: 1*DIGIT, a list of identical values accepted (RFC 9110 §8.6), differing
//     values -> 400; more than max_body -> 413 at head time.
//   - chunked body: size overflow -> 400, sum of sizes over max_body -> 413 as soon as a
//     chunk-size line passes it; extensions validated and discarded (size line <= 4 KiB);
//     trailers validated and discarded.
//   - no Transfer-Encoding and no Content-Length: no body (§6.3 item 7).
//   - keep-alive (§9.3): HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
//     "Connection: keep-alive" and no "close".
class RequestParser {
 public:
  using Event = ParseEvent;
  using Step = ParseStep;

  // Empty lines accepted before a request line (RFC 9112 §2.2 asks for at least one).
  static constexpr int kMaxLeadingEmptyLines = 4;

  explicit RequestParser(const RequestLimits& limits = {}) noexcept;

  // Prepares for the next request on the connection.
  void start() noexcept;

  Step next(std::string_view input) noexcept;

  // The peer closed its side: need_more if no byte of this request was seen (a clean close
  // between requests), complete if the body had nothing left, else error (truncated_body).
  Step finish_eof() noexcept;

  const RequestHead& head() const noexcept { return head_; }

  // The caller moved the parsed head's bytes from old_base to new_base (it grew its buffer
  // while the body was still arriving): re-point every view of head() at the new copy.
  void rebase(const char* old_base, const char* new_base) noexcept;
  ParseError error() const noexcept { return state_.error(); }
  int error_status() const noexcept { return request_error_status(state_.error()); }
  uint64_t body_bytes() const noexcept { return state_.body_bytes(); }  // of the current request
  const RequestLimits& limits() const noexcept { return limits_; }

 private:
  Step parse_head(std::string_view input) noexcept;
  ParseError parse_request_line(std::string_view line, size_t line_start) noexcept;
  // Builds head_ from the complete head's bytes and decides framing.
  ParseError finish_head(std::string_view head) noexcept;

  RequestLimits limits_;
  detail::MessageState state_;
  detail::HeadScanner scanner_;
  // Parts of the request line, relative to the start of the head being parsed.
  uint32_t method_begin_ = 0, method_size_ = 0, target_begin_ = 0, target_size_ = 0;
  RequestHead head_;
};

}  // namespace anvil::http
