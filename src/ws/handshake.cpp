#include "anvil/ws/handshake.hpp"

#include <openssl/evp.h>

#include <array>

namespace anvil::ws {

namespace {

// §1.3: the GUID every server appends to the client's key.
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Does the comma-separated list `value` (RFC 9110 §5.6.1) hold `token`, case-insensitively?
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = trim(value.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// 16 bytes are 128 bits: 21 full base64 characters, a 22nd carrying 2 bits, then "==".
bool valid_key(std::string_view key) noexcept {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (!is_base64_char(key[i])) return false;
  return true;
}

}  // namespace

std::optional<std::string> accept_key(std::string_view sec_websocket_key) {
  const std::string_view key = trim(sec_websocket_key);
  if (!valid_key(key)) return std::nullopt;
  std::array<unsigned char, 24 + kGuid.size()> input{};
  key.copy(reinterpret_cast<char*>(input.data()), key.size());
  kGuid.copy(reinterpret_cast<char*>(input.data()) + key.size(), kGuid.size());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) !=
          1 ||
      digest_size != 20) {
    return std::nullopt;
  }
  std::array<unsigned char, 29> encoded{};  // 4 * ceil(20 / 3) = 28, plus EVP's NUL
  const int n = EVP_EncodeBlock(encoded.data(), digest.data(), 20);
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(n));
}

const char* to_string(HandshakeError error) noexcept {
  switch (error) {
    case HandshakeError::none:
      return "none";
    case HandshakeError::not_get:
      return "not_get";
    case HandshakeError::bad_http_version:
      return "bad_http_version";
    case HandshakeError::no_upgrade:
      return "no_upgrade";
    case HandshakeError::no_connection_upgrade:
      return "no_connection_upgrade";
    case HandshakeError::missing_version:
      return "missing_version";
    case HandshakeError::unsupported_version:
      return "unsupported_version";
    case HandshakeError::bad_key:
      return "bad_key";
  }
  return "unknown";
}

HandshakeError check_upgrade(const UpgradeRequest& request) noexcept {
  if (request.method != "GET") return HandshakeError::not_get;  // methods are case-sensitive
  // HTTP/1.1 or a later 1.x; HTTP/2 upgrades use a different mechanism (RFC 8441).
  const std::string_view v = request.http_version;
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '1' || v[7] > '9') {
    return HandshakeError::bad_http_version;
  }
  if (!has_token(request.upgrade, "websocket")) return HandshakeError::no_upgrade;
  if (!has_token(request.connection, "upgrade")) return HandshakeError::no_connection_upgrade;
  const std::string_view version = trim(request.version);
  if (version.empty()) return HandshakeError::missing_version;
  if (version != "13") return HandshakeError::unsupported_version;
  if (!valid_key(trim(request.key))) return HandshakeError::bad_key;
  return HandshakeError::none;
}

int rejection_status(HandshakeError error) noexcept {
  return error == HandshakeError::unsupported_version ? 426 : 400;
}

std::string rejection_response(HandshakeError error) {
  if (rejection_status(error) == 426) {
    return "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
           "Content-Length: 0\r\nConnection: close\r\n\r\n";
  }
  return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

std::string switching_protocols_response(std::string_view accept) {
  std::string out;
  out.reserve(160);
  out +=
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += accept;
  out += "\r\n\r\n";
  return out;
}

}  // namespace anvil::ws
