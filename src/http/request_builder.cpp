#include "anvil/http/request_builder.hpp"

#include <stdexcept>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

namespace {

// RFC 9110 §5.5: field values are VCHAR / obs-text / SP / HTAB; CR, LF and NUL would let a
// value inject fields or end the head, other CTLs are rejected by strict recipients.
bool is_valid_field_value(std::string_view value) noexcept {
  for (char c : value) {
    if (!syntax::is_field_char(c)) return false;
  }
  return true;
}

bool method_has_body_semantics(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

std::string serialize_request(const RequestSpec& spec, const Url& url, bool keep_alive) {
  if (!syntax::is_token(spec.method)) {
    throw std::invalid_argument("invalid HTTP method '" + spec.method + "' (must be a token)");
  }
  const std::string& target = spec.target.empty() ? url.target : spec.target;
  // Origin-form only (RFC 9112 §3.2.1); asterisk-form for OPTIONS as the one exception.
  if (target.empty() || (target[0] != '/' && !(target == "*" && spec.method == "OPTIONS"))) {
    throw std::invalid_argument("invalid request target '" + target + "' (must start with '/')");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw std::invalid_argument("invalid request target '" + target +
                                  "' (whitespace or control character)");
    }
  }
  bool has_host = false, has_agent = false, has_length = false, has_connection = false;
  for (const auto& [name, value] : spec.headers) {
    if (!syntax::is_token(name)) {
      throw std::invalid_argument("invalid header name '" + name + "' (must be a token)");
    }
    if (!is_valid_field_value(value)) {
      throw std::invalid_argument("invalid value for header '" + name +
                                  "' (CR, LF, NUL and control characters are not allowed)");
    }
    if (syntax::iequals(name, "host")) has_host = true;
    if (syntax::iequals(name, "user-agent")) has_agent = true;
    if (syntax::iequals(name, "connection")) has_connection = true;
    if (syntax::iequals(name, "transfer-encoding")) {
      throw std::invalid_argument(
          "a Transfer-Encoding header is not supported (bodies are sent with Content-Length)");
    }
    if (syntax::iequals(name, "content-length")) {
      uint64_t n = 0;
      bool conflicting = false;
      if (!syntax::parse_content_length(value, n, conflicting) || conflicting ||
          n != spec.body.size()) {
        throw std::invalid_argument("Content-Length '" + value + "' does not match the body (" +
                                    std::to_string(spec.body.size()) + " bytes)");
      }
      has_length = true;
    }
  }
  std::string out;
  out.reserve(128 + target.size() + spec.body.size());
  out += spec.method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
  auto field = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  // RFC 9110 §7.2: Host comes first.
  if (!has_host) field("Host", url.host_header());
  for (const auto& [name, value] : spec.headers)
    field(name, value);
  if (!has_agent) field("User-Agent", "anvil/0.1");
  // RFC 9110 §8.6: a user agent should send Content-Length for methods that define a body,
  // even when it is 0, or servers wait for a body (or reject with 411).
  if (!has_length && (!spec.body.empty() || method_has_body_semantics(spec.method))) {
    field("Content-Length", std::to_string(spec.body.size()));
  }
  if (!keep_alive && !has_connection) field("Connection", "close");
  out += "\r\n";
  out += spec.body;
  return out;
}

}  // namespace anvil::http
