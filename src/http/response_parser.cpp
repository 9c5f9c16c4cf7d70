#include "anvil/http/response_parser.hpp"

#include <algorithm>
#include <cstring>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

const Header* ResponseHead::find(std::string_view name) const noexcept {
  for (size_t i = 0; i < field_count; ++i) {
    if (syntax::iequals(fields[i].name, name)) return &fields[i];
  }
  return nullptr;
}

ResponseParser::ResponseParser(const ParserLimits& limits) noexcept : limits_(limits) {
  limits_.max_headers = std::min(limits_.max_headers, kMaxHeaders);
  start(false);
}

void ResponseParser::start(bool head_request) noexcept {
  head_request_ = head_request;
  state_ = State::head;
  error_ = ParseError::none;
  interim_count_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  seen_bytes_ = false;
  reset_head();
}

void ResponseParser::reset_head() noexcept {
  scan_ = 0;
  line_start_ = 0;
  status_done_ = false;
  field_count_ = 0;
}

ResponseParser::Step ResponseParser::fail(ParseError error) noexcept {
  state_ = State::error;
  error_ = error;
  return {Event::error, 0, {}};
}

ResponseParser::Step ResponseParser::next(std::string_view input) noexcept {
  switch (state_) {
    case State::done:
      start(false);
      [[fallthrough]];
    case State::head:
      return parse_head(input);
    case State::body_length: {
      if (remaining_ == 0) {
        state_ = State::done;
        return {Event::complete, 0, {}};
      }
      if (input.empty()) return {Event::need_more, 0, {}};
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(remaining_, static_cast<uint64_t>(input.size())));
      remaining_ -= take;
      body_bytes_ += take;
      if (remaining_ == 0) {
        state_ = State::done;
        return {Event::complete, take, input.substr(0, take)};
      }
      return {Event::body, take, input.substr(0, take)};
    }
    case State::body_chunked: {
      const ChunkedDecoder::Result r = chunked_.feed(input);
      switch (r.status) {
        case ChunkedDecoder::Status::data:
          body_bytes_ += r.data.size();
          return {Event::body, r.consumed, r.data};
        case ChunkedDecoder::Status::done:
          state_ = State::done;
          return {Event::complete, r.consumed, {}};
        case ChunkedDecoder::Status::need_more:
          return {Event::need_more, r.consumed, {}};
        case ChunkedDecoder::Status::error:
          break;
      }
      Step step = fail(chunked_.error());
      step.consumed = r.consumed;
      return step;
    }
    case State::body_close:
      if (input.empty()) return {Event::need_more, 0, {}};
      body_bytes_ += input.size();
      return {Event::body, input.size(), input};
    case State::error:
      break;
  }
  return {Event::error, 0, {}};
}

ResponseParser::Step ResponseParser::finish_eof() noexcept {
  switch (state_) {
    case State::head:
      if (!seen_bytes_) return {Event::need_more, 0, {}};
      break;
    case State::body_length:
      if (remaining_ == 0) {
        state_ = State::done;
        return {Event::complete, 0, {}};
      }
      break;
    case State::body_close:
      // RFC 9112 §6.3 item 8: the close delimits the body.
      state_ = State::done;
      return {Event::complete, 0, {}};
    case State::done:
      return {Event::need_more, 0, {}};
    case State::error:
      return {Event::error, 0, {}};
    case State::body_chunked:
      break;
  }
  return fail(ParseError::truncated_body);
}

ResponseParser::Step ResponseParser::parse_head(std::string_view input) noexcept {
  if (!input.empty()) seen_bytes_ = true;
  size_t base = 0;  // where the current head starts: past any interim responses skipped
  for (;;) {
    const std::string_view head = input.substr(base);
    size_t head_size = 0;
    ParseError error = scan_lines(head, head_size);
    if (error != ParseError::none) return fail(error);
    if (head_size == 0) return {Event::need_more, base, {}};
    bool interim = false;
    error = finish_head(head.substr(0, head_size), interim);
    if (error != ParseError::none) return fail(error);
    if (!interim) return {Event::head, base + head_size, {}};
    // RFC 9110 §15.2: a client must be able to parse and ignore 1xx responses.
    ++interim_count_;
    base += head_size;
    reset_head();
  }
}

// Every byte of the head is checked once by the field-character loop; a line's structure is
// parsed once when its CRLF arrives. scan_ and line_start_ survive across calls, so bytes that
// arrived earlier are not rescanned.
ParseError ResponseParser::scan_lines(std::string_view head, size_t& head_size) noexcept {
  // Bytes past the limit can never belong to an acceptable head.
  const size_t limit = std::min(head.size(), limits_.max_head_bytes);
  const char* p = head.data();
  size_t i = scan_;
  while (i < limit) {
    while (i < limit && syntax::is_field_char(p[i]))
      ++i;
    if (i >= limit) break;
    if (p[i] == '\r') {
      if (i + 1 >= limit) break;
      // RFC 9112 §2.2: a bare CR is invalid outside the body.
      if (p[i + 1] != '\n') return ParseError::bare_cr;
      const std::string_view line(p + line_start_, i - line_start_);
      const size_t next_line = i + 2;
      if (!status_done_) {
        const ParseError error = parse_status_line(line, line_start_);
        if (error != ParseError::none) return error;
        status_done_ = true;
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
    // A CTL other than HTAB, or a bare LF (this parser does not accept LF-only lines).
    if (!status_done_) return ParseError::bad_status_line;
    if (p[i] == '\n') return ParseError::bad_header_value;
    const bool in_value = std::memchr(p + line_start_, ':', i - line_start_) != nullptr;
    return in_value ? ParseError::bad_header_value : ParseError::bad_header_name;
  }
  scan_ = i;
  if (head.size() >= limits_.max_head_bytes) return ParseError::head_too_large;
  return ParseError::none;
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
  head_.field_count = field_count_;
  FramingFields framing;
  for (size_t k = 0; k < field_count_; ++k) {
    const FieldOffsets& o = offsets_[k];
    head_.fields[k] = {std::string_view(p + o.name_begin, o.name_size),
                       std::string_view(p + o.value_begin, o.value_size)};
    const ParseError error = framing.observe(head_.fields[k]);
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
      remaining_ = head_.content_length;
      state_ = State::body_length;
      break;
    case BodyFraming::chunked:
      chunked_.reset(limits_.max_chunk_size, limits_.max_head_bytes);
      state_ = State::body_chunked;
      break;
    case BodyFraming::until_close:
      state_ = State::body_close;
      break;
  }
  return ParseError::none;
}

}  // namespace anvil::http
