#include "anvil/http/response_parser.hpp"

#include <algorithm>
#include <cstdint>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

const Header* ResponseHead::find(std::string_view name) const noexcept {
  for (size_t i = 0; i < field_count; ++i) {
    if (syntax::iequals(fields[i].name, name)) return &fields[i];
  }
  return nullptr;
}

namespace {

detail::HeadScanner::Limits scan_limits(const ParserLimits& limits) noexcept {
  // A status line has no limit of its own and no empty lines before it (RFC 9112 §2.2 lets
  // only a server skip them).
  return {limits.max_head_bytes, std::min(limits.max_headers, kMaxHeaders), SIZE_MAX,
          ParseError::bad_status_line, 0};
}

}  // namespace

ResponseParser::ResponseParser(const ParserLimits& limits) noexcept
    : limits_(limits), scanner_(scan_limits(limits)) {
  start(false);
}

void ResponseParser::start(bool head_request) noexcept {
  head_request_ = head_request;
  interim_count_ = 0;
  state_.reset();
  scanner_.reset();
}

ResponseParser::Step ResponseParser::next(std::string_view input) noexcept {
  if (state_.phase() == detail::MessageState::Phase::done) start(false);
  if (state_.phase() == detail::MessageState::Phase::head) return parse_head(input);
  return state_.next_body(input);
}

ResponseParser::Step ResponseParser::finish_eof() noexcept {
  return state_.finish_eof();
}

ResponseParser::Step ResponseParser::parse_head(std::string_view input) noexcept {
  state_.saw(input);
  size_t base = 0;  // where the current head starts: past any interim responses skipped
  for (;;) {
    const std::string_view head = input.substr(base);
    size_t head_size = 0;
    ParseError error = scanner_.scan(
        head,
        [this](std::string_view line, size_t line_start) {
          return parse_status_line(line, line_start);
        },
        head_size);
    if (error != ParseError::none) return state_.fail(error);
    if (head_size == 0) return {Event::need_more, base, {}};
    bool interim = false;
    error = finish_head(head.substr(0, head_size), interim);
    if (error != ParseError::none) return state_.fail(error);
    if (!interim) return {Event::head, base + head_size, {}};
    // RFC 9110 §15.2: a client must be able to parse and ignore 1xx responses.
    ++interim_count_;
    base += head_size;
    scanner_.reset();
  }
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4); the bytes are
// already known to be field characters.
ParseError ResponseParser::parse_status_line(std::string_view line, size_t line_start) noexcept {
  if (line.substr(0, 5) != "HTTP/") return ParseError::bad_status_line;
  if (line.size() < 8 || line[5] != '1' || line[6] != '.' || line[7] < '0' || line[7] > '9') {
    return ParseError::bad_version;
  }
  if (line.size() < 9 || line[8] != ' ') return ParseError::bad_status_line;
  if (line.size() < 12) return ParseError::bad_status_code;
  int status = 0;
  for (size_t k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return ParseError::bad_status_code;
    status = status * 10 + (line[k] - '0');
  }
  // RFC 9110 §15: status codes are 100..599.
  if (status < 100 || status > 599) return ParseError::bad_status_code;
  if (line.size() > 12 && line[12] != ' ') return ParseError::bad_status_code;
  head_.minor_version = line[7] - '0';
  head_.status = status;
  // Leniency: "HTTP/1.1 200" without the SP before an empty reason is accepted.
  reason_begin_ = line_start + std::min<size_t>(line.size(), 13);
  reason_size_ = line.size() > 13 ? line.size() - 13 : 0;
  return ParseError::none;
}

ParseError ResponseParser::finish_head(std::string_view head, bool& interim) noexcept {
  const char* p = head.data();
  head_.reason = std::string_view(p + reason_begin_, reason_size_);
  head_.field_count = scanner_.fill_fields(p, head_.fields);
  FramingFields framing;
  for (const Header& field : head_.headers()) {
    const ParseError error = framing.observe(field);
    if (error != ParseError::none) return error;
  }
  const int status = head_.status;
  interim = status >= 100 && status < 200 && status != 101;
  if (interim) return ParseError::none;

  const bool http10 = head_.minor_version == 0;
  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  bool keep_alive = http10 ? (framing.connection_keep_alive && !framing.connection_close)
                           : !framing.connection_close;
  head_.framing_conflict = false;
  head_.content_length = 0;
  // RFC 9112 §6.3, in its order.
  if (head_request_ || (status >= 100 && status < 200) || status == 204 || status == 304) {
    head_.framing = BodyFraming::none;
  } else if (framing.has_transfer_encoding) {
    head_.framing = framing.chunked_last ? BodyFraming::chunked : BodyFraming::until_close;
    if (framing.has_content_length) {
      // §6.3 item 3: Transfer-Encoding overrides Content-Length, and the connection must not
      // be reused since the two framings disagree.
      head_.framing_conflict = true;
      keep_alive = false;
    }
    // §6.1: Transfer-Encoding in an HTTP/1.0 message: framing is faulty, close after it.
    if (http10) keep_alive = false;
  } else if (framing.has_content_length) {
    head_.framing = BodyFraming::content_length;
    head_.content_length = framing.content_length;
  } else {
    head_.framing = BodyFraming::until_close;
  }
  if (head_.framing == BodyFraming::until_close || status == 101) keep_alive = false;
  head_.keep_alive = keep_alive;

  switch (head_.framing) {
    case BodyFraming::none:
    case BodyFraming::content_length:
      state_.body_length(head_.content_length);
      break;
    case BodyFraming::chunked:
      state_.body_chunked(limits_.max_chunk_size, limits_.max_head_bytes, UINT64_MAX);
      break;
    case BodyFraming::until_close:
      state_.body_until_close();
      break;
  }
  return ParseError::none;
}

}  // namespace anvil::http
