#pragma once

#include <cstdint>

namespace anvil::http {

// Why a message was rejected. Every error means the connection's framing is lost: the caller
// must close it. Values are stable (they index counters and appear in reports).
enum class ParseError : uint8_t {
  none,
  bad_status_line,             // not `HTTP-version SP 3DIGIT SP reason CRLF`, bare LF, CTL
  bad_version,                 // not HTTP/1.x
  bad_status_code,             // not three digits in 100..599
  bad_header_name,             // empty, non-token, whitespace before ':' or no ':'
  bad_header_value,            // NUL/CTL in a value, or a line ending in a bare LF
  obs_fold,                    // a line starting with SP/HTAB (RFC 9112 §5.2)
  bare_cr,                     // CR not followed by LF (RFC 9112 §2.2)
  too_many_headers,            // more than ParserLimits::max_headers field lines
  head_too_large,              // head longer than ParserLimits::max_head_bytes
  bad_content_length,          // not 1*DIGIT (or a list of them), or overflow
  conflicting_content_length,  // differing Content-Length values (RFC 9110 §8.6)
  bad_transfer_encoding,       // unknown coding, chunked twice or not last in a request
  bad_chunk_size,              // not hex, too large, or a malformed chunk-size line
  bad_chunk_extension,         // chunk-ext not `;name[=token|quoted-string]` (RFC 9112 §7.1.1)
  bad_chunk_terminator,        // chunk data not followed by CRLF
  bad_trailer,                 // malformed trailer field line or trailer section too large
  truncated_body,              // the peer closed the connection inside a message
  // Only a request can produce the values below (RequestParser; status in parentheses).
  bad_request_line,             // not `method SP request-target SP HTTP-version CRLF` (400)
  bad_request_target,           // not origin-, absolute- or asterisk-form, or not VCHAR (400)
  request_line_too_long,        // request line longer than RequestLimits (414)
  bad_host,                     // Host missing in HTTP/1.1, duplicated, or invalid (400)
  conflicting_framing,          // both Transfer-Encoding and Content-Length (400)
  unsupported_transfer_coding,  // a transfer coding other than chunked (501)
  body_too_large,               // body longer than RequestLimits::max_body (413)
};

inline constexpr int kParseErrorCount = static_cast<int>(ParseError::body_too_large) + 1;

// True for the errors only the request parser reports (the response parser never does).
constexpr bool is_request_only(ParseError error) noexcept {
  return error >= ParseError::bad_request_line;
}

// Stable snake_case name, e.g. "bad_chunk_size".
const char* to_string(ParseError error) noexcept;

}  // namespace anvil::http
