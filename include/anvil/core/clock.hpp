#pragma once

#include <time.h>

#include <cstdint>

namespace anvil::core {

// Monotonic time in nanoseconds. Latency is always measured on this clock: wall-clock time
// jumps (NTP, suspend) and must never leak into a latency figure.
inline int64_t monotonic_ns() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline constexpr int64_t kNsPerUs = 1'000;
inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kNsPerSec = 1'000'000'000;

}  // namespace anvil::core
