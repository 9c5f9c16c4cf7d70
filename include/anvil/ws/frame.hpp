#pragma once

// WebSocket framing vocabulary (RFC 6455 §5) and the frame writer.
//
// The writer never touches payload bytes: encode_frame_header() fills at most 14 bytes so a
// server sends header + payload with one writev. A client masks its payload with apply_mask()
// (in place, into a scratch copy it owns) before sending.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace anvil::ws {

// RFC 6455 §5.2 / §11.8. Values 3-7 and 11-15 are reserved and rejected by the parser.
enum class Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

constexpr bool is_control(Opcode op) noexcept {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}
const char* to_string(Opcode op) noexcept;

// Which end of the connection this codec serves. A server reads masked client frames and
// writes unmasked ones; a client the reverse (RFC 6455 §5.1).
enum class Role : uint8_t { server, client };

using MaskKey = std::array<uint8_t, 4>;

inline constexpr size_t kMaxFrameHeaderSize = 14;  // 2 + 8 (64-bit length) + 4 (mask key)
inline constexpr size_t kMaxControlPayload = 125;  // RFC 6455 §5.5
// AIStore targets call SetReadLimit(16 GiB); a little headroom above that.
inline constexpr uint64_t kDefaultMaxMessageSize = (uint64_t{16} << 30) + (uint64_t{1} << 20);

// Close status codes (RFC 6455 §7.4.1 and the IANA registry, 1012-1014).
namespace close_code {
inline constexpr uint16_t normal = 1000;
inline constexpr uint16_t going_away = 1001;
inline constexpr uint16_t protocol_error = 1002;
inline constexpr uint16_t unsupported_data = 1003;
inline constexpr uint16_t no_status = 1005;  // never on the wire: close frame without a code
inline constexpr uint16_t abnormal = 1006;   // never on the wire: connection dropped
inline constexpr uint16_t invalid_payload = 1007;
inline constexpr uint16_t policy_violation = 1008;
inline constexpr uint16_t message_too_big = 1009;
inline constexpr uint16_t mandatory_extension = 1010;
inline constexpr uint16_t internal_error = 1011;
inline constexpr uint16_t service_restart = 1012;
inline constexpr uint16_t try_again_later = 1013;
inline constexpr uint16_t bad_gateway = 1014;
inline constexpr uint16_t tls_handshake = 1015;  // never on the wire
}  // namespace close_code

// May `code` appear in a close frame? 1000-1003 and 1007-1014 (defined), 3000-4999
// (registered and private use). 1004-1006, 1015, 0-999, 1016-2999 and >= 5000 may not
// (RFC 6455 §7.4.1-§7.4.2).
bool is_valid_close_code(uint16_t code) noexcept;

// Why a peer's frames were rejected. Each error ends the connection: send a close frame with
// close_code_for(error) (reason: to_string(error)) and close. Values are stable.
enum class FrameError : uint8_t {
  none,
  reserved_bits,            // RSV1-3 set, and no extension was negotiated (§5.2)
  unknown_opcode,           // opcode 3-7 or 11-15 (§5.2)
  control_too_long,         // control frame payload > 125 bytes (§5.5)
  control_fragmented,       // control frame with FIN = 0 (§5.5)
  mask_required,            // server role: a client frame without the mask bit (§5.1)
  mask_forbidden,           // client role: a server frame with the mask bit (§5.1)
  non_minimal_length,       // 16/64-bit length where a shorter form fits (§5.2 "MUST")
  length_msb_set,           // 64-bit length with the most significant bit set (§5.2)
  unexpected_continuation,  // continuation frame with no fragmented message open (§5.4)
  expected_continuation,    // text/binary frame inside a fragmented message (§5.4)
  message_too_big,          // message larger than Limits::max_message_size (§7.4.1, 1009)
  invalid_utf8,             // text message that is not UTF-8 (§8.1, 1007)
  bad_close_payload,        // close frame with a 1-byte payload (§5.5.1)
  bad_close_code,           // close code that may not appear on the wire (§7.4)
  invalid_close_reason,     // close reason that is not UTF-8 (§5.5.1, 1007)
};

inline constexpr int kFrameErrorCount = static_cast<int>(FrameError::invalid_close_reason) + 1;

// Stable snake_case name, e.g. "mask_required"; short enough to be a close reason.
const char* to_string(FrameError error) noexcept;
// 1002 (protocol error), 1007 (invalid payload data) or 1009 (message too big); 1000 for none.
uint16_t close_code_for(FrameError error) noexcept;

// Writes a frame header into `out`; returns its size (2 to 14 bytes). mask == nullptr: no mask
// bit (server role); otherwise the mask bit and the key (client role; the caller masks the
// payload with the same key). Always uses the shortest length encoding.
// Preconditions: length < 2^63; control frames have fin and length <= 125.
size_t encode_frame_header(std::span<char, kMaxFrameHeaderSize> out, Opcode opcode, bool fin,
                           uint64_t length, const MaskKey* mask = nullptr) noexcept;

// XORs `data` in place with `key`, starting at key byte `phase` (the payload offset of
// data[0] modulo 4, so a payload can be masked piece by piece). Returns the phase for the
// byte after `data`. Works 8 bytes at a time with a rotated 64-bit key.
size_t apply_mask(std::span<char> data, const MaskKey& key, size_t phase = 0) noexcept;

// Writes a close frame payload: the code in network byte order and `reason`, cut to 123
// bytes at a UTF-8 character boundary. Returns the payload size (2 to 125).
// Precondition: is_valid_close_code(code). For "no status" send an empty close payload.
size_t encode_close_payload(std::span<char, kMaxControlPayload> out, uint16_t code,
                            std::string_view reason) noexcept;

}  // namespace anvil::ws
