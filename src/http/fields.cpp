#include "anvil/http/fields.hpp"

#include <charconv>

#include "anvil/http/parse_error.hpp"
#include "anvil/http/syntax.hpp"

namespace anvil::http {

const char* to_string(ParseError error) noexcept {
  switch (error) {
    case ParseError::none:
      return "none";
    case ParseError::bad_status_line:
      return "bad_status_line";
    case ParseError::bad_version:
      return "bad_version";
    case ParseError::bad_status_code:
      return "bad_status_code";
    case ParseError::bad_header_name:
      return "bad_header_name";
    case ParseError::bad_header_value:
      return "bad_header_value";
    case ParseError::obs_fold:
      return "obs_fold";
    case ParseError::bare_cr:
      return "bare_cr";
    case ParseError::too_many_headers:
      return "too_many_headers";
    case ParseError::head_too_large:
      return "head_too_large";
    case ParseError::bad_content_length:
      return "bad_content_length";
    case ParseError::conflicting_content_length:
      return "conflicting_content_length";
    case ParseError::bad_transfer_encoding:
      return "bad_transfer_encoding";
    case ParseError::bad_chunk_size:
      return "bad_chunk_size";
    case ParseError::bad_chunk_extension:
      return "bad_chunk_extension";
    case ParseError::bad_chunk_terminator:
      return "bad_chunk_terminator";
    case ParseError::bad_trailer:
      return "bad_trailer";
    case ParseError::truncated_body:
      return "truncated_body";
    case ParseError::bad_request_line:
      return "bad_request_line";
    case ParseError::bad_request_target:
      return "bad_request_target";
    case ParseError::request_line_too_long:
      return "request_line_too_long";
    case ParseError::bad_host:
      return "bad_host";
    case ParseError::conflicting_framing:
      return "conflicting_framing";
    case ParseError::unsupported_transfer_coding:
      return "unsupported_transfer_coding";
    case ParseError::body_too_large:
      return "body_too_large";
  }
  return "unknown";
}

const char* to_string(BodyFraming framing) noexcept {
  switch (framing) {
    case BodyFraming::none:
      return "none";
    case BodyFraming::content_length:
      return "content_length";
    case BodyFraming::chunked:
      return "chunked";
    case BodyFraming::until_close:
      return "until_close";
  }
  return "unknown";
}

namespace syntax {

bool parse_content_length(std::string_view value, uint64_t& out, bool& conflicting) noexcept {
  conflicting = false;
  bool any = false;
  bool ok = true;
  uint64_t first = 0;
  for_each_list_element(value, [&](std::string_view element) {
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(element.data(), element.data() + element.size(), n);
    // from_chars accepts no sign for unsigned, but check every byte is a digit anyway.
    if (ec != std::errc() || end != element.data() + element.size() || element[0] < '0' ||
        element[0] > '9') {
      ok = false;
      return;
    }
    if (any && n != first) conflicting = true;
    if (!any) first = n;
    any = true;
  });
  // An empty value or a list of only commas is not a length.
  if (!ok || !any) return false;
  out = first;
  return true;
}

}  // namespace syntax

ParseError parse_field_line(std::string_view line, Header& out) noexcept {
  if (line.empty()) return ParseError::bad_header_name;
  // RFC 9112 §5.2: obs-fold is deprecated; we reject it rather than unfold.
  if (syntax::is_ows(line[0])) return ParseError::obs_fold;
  size_t i = 0;
  while (i < line.size() && syntax::is_tchar(line[i]))
    ++i;
  // RFC 9112 §5.1: no whitespace between the field name and the colon.
  if (i == 0 || i == line.size() || line[i] != ':') return ParseError::bad_header_name;
  out.name = line.substr(0, i);
  out.value = syntax::trim_ows(line.substr(i + 1));
  return ParseError::none;
}

namespace {

bool is_known_compression(std::string_view coding) noexcept {
  return syntax::iequals_lower(coding, "gzip") || syntax::iequals_lower(coding, "x-gzip") ||
         syntax::iequals_lower(coding, "deflate") || syntax::iequals_lower(coding, "compress") ||
         syntax::iequals_lower(coding, "x-compress");
}

}  // namespace

ParseError FramingFields::observe(const Header& header) noexcept {
  const std::string_view name = header.name;
  if (name.size() == 14 && syntax::iequals_lower(name, "content-length")) {
    uint64_t n = 0;
    bool conflicting = false;
    if (!syntax::parse_content_length(header.value, n, conflicting)) {
      return ParseError::bad_content_length;
    }
    if (conflicting || (has_content_length && n != content_length)) {
      return ParseError::conflicting_content_length;
    }
    has_content_length = true;
    content_length = n;
  } else if (name.size() == 17 && syntax::iequals_lower(name, "transfer-encoding")) {
    // Several Transfer-Encoding fields form one list (RFC 9110 §5.3).
    ParseError error = ParseError::none;
    bool any = false;
    syntax::for_each_list_element(header.value, [&](std::string_view coding) {
      any = true;
      // Transfer-coding parameters (`;q=...`) are not used by any coding we accept.
      if (syntax::iequals_lower(coding, "chunked")) {
        // RFC 9112 §6.1: chunked must not be applied more than once.
        if (chunked_seen) error = ParseError::bad_transfer_encoding;
        chunked_seen = true;
        chunked_last = true;
      } else if (is_known_compression(coding)) {
        // A coding after chunked: the body is delimited by close (RFC 9112 §6.3 item 4).
        chunked_last = false;
      } else {
        error = ParseError::bad_transfer_encoding;
      }
    });
    if (!any) return ParseError::bad_transfer_encoding;
    if (error != ParseError::none) return error;
    has_transfer_encoding = true;
  } else if (name.size() == 10 && syntax::iequals_lower(name, "connection")) {
    syntax::for_each_list_element(header.value, [&](std::string_view option) {
      if (syntax::iequals_lower(option, "close")) connection_close = true;
      if (syntax::iequals_lower(option, "keep-alive")) connection_keep_alive = true;
      if (syntax::iequals_lower(option, "upgrade")) connection_upgrade = true;
    });
  }
  return ParseError::none;
}

}  // namespace anvil::http
