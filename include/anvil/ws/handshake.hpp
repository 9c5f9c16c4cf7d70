#pragma once

// The server side of the WebSocket opening handshake (RFC 6455 §4.2). Runs once per
// connection, so these functions may allocate; none of them throws except on out-of-memory.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::ws {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (§4.2.2 step 5.4): base64(SHA-1(key +
// "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). nullopt unless the key (surrounding spaces/tabs
// ignored) is the base64 encoding of exactly 16 bytes (§4.1: 24 characters ending in "==").
std::optional<std::string> accept_key(std::string_view sec_websocket_key);

// The parts of an upgrade request the handshake depends on, as the HTTP layer parsed them.
// Header values are raw field values; a field that appeared several times is passed as its
// values joined with ", " (RFC 9110 §5.3). An absent field is an empty view.
struct UpgradeRequest {
  std::string_view method;        // "GET"
  std::string_view http_version;  // "HTTP/1.1"
  std::string_view upgrade;       // Upgrade
  std::string_view connection;    // Connection
  std::string_view version;       // Sec-WebSocket-Version
  std::string_view key;           // Sec-WebSocket-Key
};

enum class HandshakeError : uint8_t {
  none,
  not_get,                // §4.1 item 2: the method MUST be GET
  bad_http_version,       // §4.1 item 2: HTTP/1.1 or higher
  no_upgrade,             // no "websocket" token in Upgrade (case-insensitive, §4.2.1 item 3)
  no_connection_upgrade,  // no "Upgrade" token in Connection (§4.2.1 item 4)
  missing_version,        // no Sec-WebSocket-Version
  unsupported_version,    // Sec-WebSocket-Version is not 13 (§4.2.2 item 4: answer 426)
  bad_key,                // Sec-WebSocket-Key absent or not base64 of 16 bytes (§4.2.1 item 5)
};

const char* to_string(HandshakeError error) noexcept;

// Checks an upgrade request. The tests follow the order above.
HandshakeError check_upgrade(const UpgradeRequest& request) noexcept;

// The status to answer a failed handshake with: 426 Upgrade Required for unsupported_version,
// 400 Bad Request otherwise (§4.2.1, §4.2.2 item 4).
int rejection_status(HandshakeError error) noexcept;

// A complete rejection response head: status line, Content-Length: 0, Connection: close and,
// for 426, "Sec-WebSocket-Version: 13" (§4.4).
std::string rejection_response(HandshakeError error);

// The 101 Switching Protocols response head for an accepted request (§4.2.2 step 5), with no
// subprotocol and no extension (so RSV bits stay 0): status line, Upgrade: websocket,
// Connection: Upgrade, Sec-WebSocket-Accept: <accept> and the blank line.
std::string switching_protocols_response(std::string_view accept);

}  // namespace anvil::ws
