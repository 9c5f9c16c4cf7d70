#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::http {

// An absolute http(s) URL reduced to what a client needs to connect and to write the
// request line (RFC 9110 §4.2, RFC 3986 §3).
struct Url {
  std::string scheme = "http";  // "http" or "https", lower case
  std::string host;             // name or address; an IPv6 literal without its brackets
  uint16_t port = 80;           // explicit, or the scheme's default (80 / 443)
  std::string target = "/";     // origin-form request target: path and query, never empty
  bool ipv6 = false;            // host is an IPv6 literal

  bool tls() const noexcept { return scheme == "https"; }
  bool default_port() const noexcept { return port == (tls() ? 443 : 80); }
  // The Host field value (RFC 9110 §7.2): brackets kept for IPv6, port omitted when default.
  std::string host_header() const;
  // scheme://host[:port]target, normalized (for reports).
  std::string to_string() const;
};

// Parses `http://host[:port][/path][?query][#fragment]` (scheme case-insensitive, fragment
// dropped). Host: a DNS name or IPv4 address (letters, digits, '-', '.', '_') or an IPv6
// literal in brackets (no zone id). Rejected, with a message in *error: other schemes,
// userinfo (credentials in URLs leak into logs; send an Authorization header instead), empty
// host, port empty/0/>65535/non-digit, and whitespace or control characters anywhere.
std::optional<Url> parse_url(std::string_view text, std::string* error);

}  // namespace anvil::http
