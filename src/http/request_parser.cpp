#include "anvil/http/request_parser.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

namespace {

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
// VCHAR (RFC 5234 B.1): what a request-target is made of (RFC 9112 §3.2 builds it from URI
// characters, all of them visible ASCII).
constexpr bool is_vchar(char c) noexcept {
  return c > 0x20 && c < 0x7f;
}
// unreserved / sub-delims (RFC 3986 §2.2, §2.3): reg-name characters besides pct-encoded.
constexpr bool is_reg_name_char(char c) noexcept {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
}

// Offset where the authority of an absolute-form target starts (after "scheme://"), or npos.
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
size_t authority_start(std::string_view target) noexcept {
  if (target.empty() || !is_alpha(target[0])) return std::string_view::npos;
  size_t i = 1;
  while (i < target.size() && (is_alpha(target[i]) || is_digit(target[i]) || target[i] == '+' ||
                               target[i] == '-' || target[i] == '.')) {
    ++i;
  }
  if (target.substr(i, 3) != "://") return std::string_view::npos;
  return i + 3;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name or IPv4 address
// (unreserved / sub-delims / pct-encoded) or an IP-literal in brackets; port = *DIGIT. An
// empty value is valid: a client sends it when the target has no authority (RFC 9112 §3.2).
bool valid_host(std::string_view host) noexcept {
  size_t i = 0;
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (size_t k = 1; k < close; ++k) {
      if (!is_reg_name_char(host[k]) && host[k] != ':') return false;
    }
    i = close + 1;
  } else {
    while (i < host.size() && host[i] != ':') {
      if (host[i] == '%') {
        if (i + 2 >= host.size() || !syntax::is(host[i + 1], syntax::kHexDigit) ||
            !syntax::is(host[i + 2], syntax::kHexDigit)) {
          return false;
        }
        i += 3;
        continue;
      }
      if (!is_reg_name_char(host[i])) return false;
      ++i;
    }
  }
  if (i == host.size()) return true;
  if (host[i] != ':') return false;
  for (++i; i < host.size(); ++i) {
    if (!is_digit(host[i])) return false;
  }
  return true;
}

}  // namespace

int request_error_status(ParseError error) noexcept {
  switch (error) {
    case ParseError::none:
      return 0;
    case ParseError::request_line_too_long:
      return 414;  // RFC 9110 §15.5.15
    case ParseError::head_too_large:
    case ParseError::too_many_headers:
      return 431;  // RFC 6585 §5
    case ParseError::body_too_large:
      return 413;  // RFC 9110 §15.5.14
    case ParseError::unsupported_transfer_coding:
      return 501;  // RFC 9112 §6.1
    case ParseError::bad_version:
      return 505;  // RFC 9110 §15.6.6
    default:
      return 400;
  }
}

const Header* RequestHead::find(std::string_view name) const noexcept {
  for (size_t i = 0; i < field_count; ++i) {
    if (syntax::iequals(fields[i].name, name)) return &fields[i];
  }
  return nullptr;
}

std::string_view RequestHead::path() const noexcept {
  std::string_view rest = target;
  if (target_form == TargetForm::asterisk) return rest;
  if (target_form == TargetForm::absolute) {
    const size_t start = authority_start(rest);
    rest.remove_prefix(std::min(start, rest.size()));
    const size_t end = rest.find_first_of("/?");
    if (end == std::string_view::npos || rest[end] == '?') return "/";  // RFC 9112 §3.3
    rest.remove_prefix(end);
  }
  return rest.substr(0, rest.find('?'));
}

std::string_view RequestHead::query() const noexcept {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

namespace {

detail::HeadScanner::Limits scan_limits(const RequestLimits& limits) noexcept {
  // Field offsets are 32-bit.
  return {std::min<size_t>(limits.max_head_bytes, std::numeric_limits<uint32_t>::max()),
          std::min(limits.max_headers, kMaxHeaders), limits.max_request_line,
          ParseError::bad_request_line, RequestParser::kMaxLeadingEmptyLines};
}

}  // namespace

RequestParser::RequestParser(const RequestLimits& limits) noexcept
    : limits_(limits), scanner_(scan_limits(limits)) {
  limits_.max_headers = std::min(limits_.max_headers, kMaxHeaders);
  limits_.max_head_bytes =
      std::min<size_t>(limits_.max_head_bytes, std::numeric_limits<uint32_t>::max());
  start();
}

void RequestParser::start() noexcept {
  state_.reset();
  scanner_.reset();
}

RequestParser::Step RequestParser::next(std::string_view input) noexcept {
  if (state_.phase() == detail::MessageState::Phase::done) start();
  if (state_.phase() == detail::MessageState::Phase::head) return parse_head(input);
  return state_.next_body(input);
}

RequestParser::Step RequestParser::finish_eof() noexcept {
  return state_.finish_eof();
}

RequestParser::Step RequestParser::parse_head(std::string_view input) noexcept {
  state_.saw(input);
  size_t head_size = 0;
  ParseError error = scanner_.scan(
      input,
      [this](std::string_view line, size_t line_start) {
        return parse_request_line(line, line_start);
      },
      head_size);
  if (error != ParseError::none) return state_.fail(error);
  if (head_size == 0) return {Event::need_more, 0, {}};
  error = finish_head(input.substr(0, head_size));
  if (error != ParseError::none) return state_.fail(error);
  return {Event::head, head_size, {}};
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3); the bytes are
// already known to be field characters (no CTL but HTAB).
ParseError RequestParser::parse_request_line(std::string_view line, size_t line_start) noexcept {
  const size_t first_sp = line.find(' ');
  const size_t last_sp = line.rfind(' ');
  if (first_sp == std::string_view::npos || first_sp == last_sp) {
    return ParseError::bad_request_line;
  }
  const std::string_view method = line.substr(0, first_sp);
  if (!syntax::is_token(method)) return ParseError::bad_request_line;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
  const std::string_view version = line.substr(last_sp + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    return ParseError::bad_request_line;
  }
  // RFC 9110 §6.2: a server answers 505 to a major version it does not support.
  if (version[5] != '1') return ParseError::bad_version;

  // RFC 9112 §3.2: no whitespace inside the target (a request-target is a URI reference
  // without fragment: VCHARs only, never '#'); RFC 9112 §3 forbids extra SPs in the line.
  const std::string_view target = line.substr(first_sp + 1, last_sp - first_sp - 1);
  if (target.empty()) return ParseError::bad_request_line;
  for (char c : target) {
    if (!is_vchar(c) || c == '#') return ParseError::bad_request_target;
  }
  TargetForm form;
  if (target[0] == '/') {
    form = TargetForm::origin;  // §3.2.1
  } else if (target == "*") {
    // §3.2.4: asterisk-form is only used for a server-wide OPTIONS request.
    if (method != "OPTIONS") return ParseError::bad_request_target;
    form = TargetForm::asterisk;
  } else {
    // §3.2.2: absolute-form; RFC 9110 §4.2.1: an http URI with an empty host is invalid.
    const size_t authority = authority_start(target);
    if (authority == std::string_view::npos || authority >= target.size() ||
        target[authority] == '/' || target[authority] == '?') {
      return ParseError::bad_request_target;
    }
    form = TargetForm::absolute;
  }
  method_begin_ = static_cast<uint32_t>(line_start);
  method_size_ = static_cast<uint32_t>(method.size());
  target_begin_ = static_cast<uint32_t>(line_start + first_sp + 1);
  target_size_ = static_cast<uint32_t>(target.size());
  head_.target_form = form;
  head_.minor_version = version[7] - '0';
  return ParseError::none;
}

ParseError RequestParser::finish_head(std::string_view head) noexcept {
  const char* p = head.data();
  head_.method = std::string_view(p + method_begin_, method_size_);
  head_.target = std::string_view(p + target_begin_, target_size_);
  head_.field_count = scanner_.fill_fields(p, head_.fields);
  head_.host = {};
  const bool http10 = head_.minor_version == 0;

  FramingFields framing;
  int host_count = 0;
  bool te_present = false, chunked_last = false, chunked_misplaced = false, other_coding = false;
  bool te_empty = false, expect_continue = false, upgrade_websocket = false;
  for (const Header& h : head_.headers()) {
    if (syntax::iequals_lower(h.name, "transfer-encoding")) {
      // Several Transfer-Encoding fields form one list (RFC 9110 §5.3). Requests get their
      // own rules (§6.3 item 4, §6.1 501) rather than FramingFields' response rules.
      te_present = true;
      bool any = false;
      syntax::for_each_list_element(h.value, [&](std::string_view coding) {
        any = true;
        if (syntax::iequals_lower(coding, "chunked")) {
          if (chunked_last) chunked_misplaced = true;  // chunked twice
          chunked_last = true;
        } else {
          if (chunked_last) chunked_misplaced = true;  // a coding after chunked
          chunked_last = false;
          other_coding = true;
        }
      });
      if (!any) te_empty = true;
      continue;
    }
    if (syntax::iequals_lower(h.name, "host")) {
      ++host_count;
      head_.host = h.value;
      continue;
    }
    if (syntax::iequals_lower(h.name, "expect")) {
      syntax::for_each_list_element(h.value, [&](std::string_view e) {
        if (syntax::iequals_lower(e, "100-continue")) expect_continue = true;
      });
      continue;
    }
    if (syntax::iequals_lower(h.name, "upgrade")) {
      // Upgrade = #protocol, protocol = protocol-name ["/" protocol-version] (RFC 9110 §7.8).
      syntax::for_each_list_element(h.value, [&](std::string_view proto) {
        if (syntax::iequals_lower(proto.substr(0, proto.find('/')), "websocket")) {
          upgrade_websocket = true;
        }
      });
      continue;
    }
    const ParseError error = framing.observe(h);
    if (error != ParseError::none) return error;
  }

  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for more than one Host field
  // line, or for an invalid Host value.
  if (host_count > 1 || (host_count == 0 && !http10) || !valid_host(head_.host)) {
    return ParseError::bad_host;
  }

  head_.content_length = 0;
  if (te_present) {
    // §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty; reject it.
    if (http10) return ParseError::bad_transfer_encoding;
    // §6.1, §6.3 item 3: both framings at once is how requests are smuggled; reject.
    if (framing.has_content_length) return ParseError::conflicting_framing;
    // §6.3 item 4: chunked must be the final coding, §6.1: and applied only once.
    if (te_empty || !chunked_last || chunked_misplaced) return ParseError::bad_transfer_encoding;
    // §6.1: a coding we do not implement under chunked: 501.
    if (other_coding) return ParseError::unsupported_transfer_coding;
    head_.framing = BodyFraming::chunked;
  } else if (framing.has_content_length) {
    if (framing.content_length > limits_.max_body) return ParseError::body_too_large;
    head_.framing = BodyFraming::content_length;
    head_.content_length = framing.content_length;
  } else {
    head_.framing = BodyFraming::none;  // §6.3 item 7
  }

  // §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  head_.keep_alive = http10 ? (framing.connection_keep_alive && !framing.connection_close)
                            : !framing.connection_close;
  // RFC 9110 §10.1.1 and §7.8: both are ignored in an HTTP/1.0 request.
  head_.expect_continue = expect_continue && !http10;
  head_.upgrade_websocket = upgrade_websocket && framing.connection_upgrade && !http10;

  if (head_.framing == BodyFraming::chunked) {
    // Chunk sizes are bounded only by overflow and by max_body (413, not 400).
    state_.body_chunked(UINT64_MAX, limits_.max_head_bytes, limits_.max_body);
  } else {
    state_.body_length(head_.content_length);
  }
  return ParseError::none;
}

void RequestParser::rebase(const char* old_base, const char* new_base) noexcept {
  auto move = [&](std::string_view& v) {
    // Views outside the moved bytes (path() of an absolute-form target's static "/") stay.
    if (v.data() == nullptr || v.data() < old_base) return;
    v = std::string_view(new_base + (v.data() - old_base), v.size());
  };
  move(head_.method);
  move(head_.target);
  move(head_.host);
  for (size_t i = 0; i < head_.field_count; ++i) {
    move(head_.fields[i].name);
    move(head_.fields[i].value);
  }
}

}  // namespace anvil::http
