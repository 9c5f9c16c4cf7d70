#include "anvil/ws/utf8.hpp"

#include <cstring>

namespace anvil::ws {

bool Utf8Validator::feed(std::span<const char> bytes) noexcept {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    if (need_ == 0) {
      // ASCII fast path: 8 bytes at a time while no high bit is set.
      while (i + 8 <= n) {
        uint64_t word;
        std::memcpy(&word, p + i, 8);
        if ((word & 0x8080808080808080ull) != 0) break;
        i += 8;
      }
      if (i == n) break;
      const unsigned char b = p[i++];
      if (b < 0x80) continue;
      // Lead byte (RFC 3629 §4): the ranges of the first continuation byte exclude overlong
      // forms (E0, F0), UTF-16 surrogates (ED) and code points above U+10FFFF (F4).
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        need_ = 2;
        if (b == 0xE0) lo_ = 0xA0;
        if (b == 0xED) hi_ = 0x9F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        need_ = 3;
        if (b == 0xF0) lo_ = 0x90;
        if (b == 0xF4) hi_ = 0x8F;
      } else {
        failed_ = true;  // 80-C1 (continuation or overlong lead), F5-FF
        return false;
      }
    } else {
      const unsigned char b = p[i++];
      if (b < lo_ || b > hi_) {
        failed_ = true;
        return false;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

}  // namespace anvil::ws
