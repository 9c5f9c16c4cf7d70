#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "anvil/metrics/histogram.hpp"

namespace anvil::load {

// Why a request failed. Each failed request is counted exactly once, in one class.
enum class ErrorClass : uint8_t {
  connect,  // refused, unreachable, connect timeout
  read,     // the peer closed before the response was complete
  write,    // a write failed for a reason other than a reset
  timeout,  // no complete response within --timeout (or queued past it in rate mode)
  reset,    // ECONNRESET / EPIPE
  parse,    // the response was not valid HTTP/1.1
};
inline constexpr size_t kErrorClassCount = 6;
const char* to_string(ErrorClass error) noexcept;

// Counters one worker thread owns; merged after the run (never shared while it runs).
struct Counters {
  uint64_t requests = 0;   // responses of any status + failed requests
  uint64_t responses = 0;  // complete responses of any status
  uint64_t successes = 0;  // responses with status < 400
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t connects = 0;
  std::array<uint64_t, kErrorClassCount> errors{};
  std::array<uint64_t, 600> status{};  // by code; codes outside 100..599 are parse errors

  uint64_t error(ErrorClass e) const noexcept { return errors[static_cast<size_t>(e)]; }
  uint64_t failed() const noexcept;
  uint64_t status_range(int first, int last) const noexcept;
  void merge(const Counters& other) noexcept;
};

// Latency histograms are in microseconds: 1 us .. 1 h at 3 significant digits.
inline metrics::Histogram make_latency_histogram() {
  return metrics::Histogram(1, 3'600'000'000, 3);
}

// What one worker hands back when it finishes.
struct WorkerResult {
  Counters counters;
  metrics::Histogram latency = make_latency_histogram();
  std::vector<metrics::Histogram> intervals;  // one per second of the measured window (--hlog)
  uint64_t late_sends = 0;      // rate mode: requests sent after their intended time + 1 ms
                                // while an idle connection was available (the client was late)
  uint64_t queued_sends = 0;    // rate mode: requests that waited for a free connection
  uint64_t dropped_queued = 0;  // rate mode: due requests never sent (queued past --timeout)
  int64_t first_send_ns = -1;
  int64_t last_completion_ns = -1;
};

}  // namespace anvil::load
