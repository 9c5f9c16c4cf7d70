#include "anvil/http/url.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "anvil/http/syntax.hpp"

namespace anvil::http {

namespace {

std::optional<Url> reject(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string Url::host_header() const {
  std::string out;
  out.reserve(host.size() + 8);
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  if (!default_port()) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::to_string() const {
  std::string out = scheme;
  out += "://";
  out += host_header();
  out += target;
  return out;
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  std::string quoted = "'";
  quoted += text;
  quoted += '\'';
  for (char c : text) {
    // Spaces or CTLs would end up in the request line or Host field.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return reject(error, "URL " + quoted + " contains whitespace or a control character");
    }
  }
  const size_t colon = text.find("://");
  if (colon == std::string_view::npos) {
    return reject(error, "URL " + quoted + " has no scheme (expected http:// or https://)");
  }
  Url url;
  const std::string_view scheme = text.substr(0, colon);
  if (syntax::iequals_lower(scheme, "http")) {
    url.scheme = "http";
    url.port = 80;
  } else if (syntax::iequals_lower(scheme, "https")) {
    url.scheme = "https";
    url.port = 443;
  } else {
    return reject(error, "URL " + quoted + ": unsupported scheme '" + std::string(scheme) +
                             "' (expected http or https)");
  }
  std::string_view rest = text.substr(colon + 3);
  // RFC 3986 §3.5: the fragment is never sent.
  rest = rest.substr(0, rest.find('#'));
  const size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  const std::string_view target =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return reject(error, "URL " + quoted +
                             ": credentials in the URL are not supported (use -H 'Authorization: "
                             "...')");
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return reject(error, "URL " + quoted + ": unterminated IPv6 literal");
    }
    const std::string literal(authority.substr(1, close - 1));
    in6_addr address{};
    if (literal.empty() || ::inet_pton(AF_INET6, literal.c_str(), &address) != 1) {
      return reject(error, "URL " + quoted + ": '" + literal + "' is not an IPv6 address");
    }
    url.host = literal;
    url.ipv6 = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return reject(error, "URL " + quoted + ": junk after the IPv6 literal");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const size_t port_colon = authority.find(':');
    const std::string_view host = authority.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(port_colon + 1);
    }
    if (host.empty()) return reject(error, "URL " + quoted + " has no host");
    for (char c : host) {
      if (!is_host_char(c)) {
        return reject(error,
                      "URL " + quoted + ": invalid character '" + std::string(1, c) + "' in host");
      }
    }
    url.host = std::string(host);
  }
  if (has_port) {
    unsigned value = 0;
    const char* end = port_text.data() + port_text.size();
    const auto [stop, ec] = std::from_chars(port_text.data(), end, value);
    if (port_text.empty() || ec != std::errc() || stop != end || port_text[0] == '+' ||
        value == 0 || value > 65535) {
      return reject(error, "URL " + quoted + ": invalid port '" + std::string(port_text) +
                               "' (expected 1..65535)");
    }
    url.port = static_cast<uint16_t>(value);
  }
  // An empty path is "/" in origin-form (RFC 9112 §3.2.1).
  url.target.assign(target.empty() || target[0] == '?' ? "/" : "");
  url.target.append(target);
  return url;
}

}  // namespace anvil::http
