#pragma once

// The seeded randomness the request and response generators of the differential tests share.
// Each draw is one call of the engine, so a seed always gives the same messages.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace anvil::http::test {

class RandomSource {
 public:
  explicit RandomSource(uint64_t seed) : rng_(seed) {}

  // 0 .. n-1
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }

 protected:
  // A field value of fewer than max_size bytes: visible ASCII with inner spaces, no leading or
  // trailing space (a generator adds OWS apart).
  std::string random_value(size_t max_size) {
    std::string s;
    const size_t n = pick(max_size);
    for (size_t i = 0; i < n; ++i) {
      char c = static_cast<char>(0x21 + pick(0x7e - 0x21 + 1));
      if (i > 0 && i + 1 < n && chance(10)) c = ' ';
      s += c;
    }
    return s;
  }

  std::mt19937_64 rng_;
};

}  // namespace anvil::http::test
