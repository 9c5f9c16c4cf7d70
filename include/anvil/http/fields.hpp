#pragma once

// Pieces of HTTP/1.1 head parsing that do not depend on the start line, shared by the response
// parser and the request parser to come: field-line structure and the framing fields.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "anvil/http/parse_error.hpp"

namespace anvil::http {

// A field line as views into the caller's buffer; the value is OWS-trimmed.
struct Header {
  std::string_view name, value;
};

inline constexpr size_t kMaxHeaders = 64;

struct ParserLimits {
  size_t max_head_bytes = 64 * 1024;  // status line + fields + blank line; also trailers
  size_t max_headers = kMaxHeaders;   // clamped to kMaxHeaders
  uint64_t max_chunk_size = (1ull << 40);
};

// How the body of a message is delimited (RFC 9112 §6.3).
enum class BodyFraming : uint8_t { none, content_length, chunked, until_close };
const char* to_string(BodyFraming framing) noexcept;

// Splits one complete field line (CRLF already removed, every byte already checked to be a
// field character) into name and OWS-trimmed value. Errors: obs_fold (leading SP/HTAB),
// bad_header_name (empty, non-token, no colon, whitespace before the colon: RFC 9112 §5.1).
ParseError parse_field_line(std::string_view line, Header& out) noexcept;

// Accumulates the fields that decide framing and persistence, one header at a time, in order.
struct FramingFields {
  bool has_content_length = false;
  bool has_transfer_encoding = false;
  bool chunked_last = false;  // Transfer-Encoding's final coding is chunked
  bool chunked_seen = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;  // Connection lists "upgrade" (RFC 9110 §7.8)
  uint64_t content_length = 0;

  // Returns none, bad_content_length, conflicting_content_length or bad_transfer_encoding.
  ParseError observe(const Header& header) noexcept;
};

}  // namespace anvil::http
