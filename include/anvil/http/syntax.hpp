#pragma once

// Character classes and small field-value grammars shared by every HTTP/1.1 parser in this
// module (response parser, chunked decoder, and the request parser to come). Header-only so
// the table lookups inline into the scanning loops.

#include <array>
#include <cstdint>
#include <string_view>

namespace anvil::http::syntax {

enum CharClass : uint8_t {
  kTchar = 1 << 0,      // token character (RFC 9110 §5.6.2)
  kFieldChar = 1 << 1,  // VCHAR / obs-text / SP / HTAB: allowed in a field value or reason
  kHexDigit = 1 << 2,
  kQdText = 1 << 3,  // quoted-string text other than the backslash (RFC 9110 §5.6.4)
};

inline constexpr std::array<uint8_t, 256> kClasses = [] {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    uint8_t bits = 0;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      bits |= kTchar;
    }
    const bool vchar_or_obs = (c > 0x20 && c != 0x7f);
    if (vchar_or_obs || c == ' ' || c == '\t') bits |= kFieldChar;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      bits |= kHexDigit;
    }
    if ((vchar_or_obs || c == ' ' || c == '\t') && c != '"' && c != '\\') bits |= kQdText;
    table[static_cast<size_t>(c)] = bits;
  }
  return table;
}();

constexpr bool is(char c, CharClass cls) noexcept {
  return (kClasses[static_cast<uint8_t>(c)] & cls) != 0;
}
constexpr bool is_tchar(char c) noexcept {
  return is(c, kTchar);
}
constexpr bool is_field_char(char c) noexcept {
  return is(c, kFieldChar);
}
constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive ASCII comparison; `lower` must already be lower case.
constexpr bool iequals_lower(std::string_view text, std::string_view lower) noexcept {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (ascii_lower(text[i]) != lower[i]) return false;
  }
  return true;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each non-empty element of a comma-separated list (`#rule`, RFC 9110
// §5.6.1), OWS trimmed. Empty elements are skipped as the RFC requires of recipients.
template <typename Fn>
constexpr void for_each_list_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Content-Length = 1*DIGIT (RFC 9112 §6.2), also accepting a list of identical values as RFC
// 9110 §8.6 allows. Returns false for anything else (signs, spaces inside a number, hex,
// overflow of uint64_t, differing list members are reported through `conflicting`).
bool parse_content_length(std::string_view value, uint64_t& out, bool& conflicting) noexcept;

}  // namespace anvil::http::syntax
