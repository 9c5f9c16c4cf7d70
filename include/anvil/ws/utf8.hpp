#pragma once

#include <cstdint>
#include <span>

namespace anvil::ws {

// Incremental UTF-8 validator (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF) for text messages whose bytes arrive in pieces split anywhere, even inside a
// character. It fails at the first byte that cannot start or continue a valid sequence, so a
// bad message is rejected as soon as possible (RFC 6455 §8.1). Holds no pointers.
class Utf8Validator {
 public:
  // Validates the next bytes; false once any byte so far was invalid (sticky until reset).
  bool feed(std::span<const char> bytes) noexcept;
  // True when every byte fed so far was valid and no character is left unfinished.
  bool complete() const noexcept { return !failed_ && need_ == 0; }
  bool failed() const noexcept { return failed_; }
  void reset() noexcept { *this = Utf8Validator{}; }

 private:
  uint8_t need_ = 0;   // continuation bytes still expected in the current character
  uint8_t lo_ = 0x80;  // allowed range of the next continuation byte (narrower right after
  uint8_t hi_ = 0xBF;  // E0, ED, F0, F4: that is where overlongs and surrogates are excluded)
  bool failed_ = false;
};

}  // namespace anvil::ws
