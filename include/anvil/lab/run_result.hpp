#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anvil/metrics/histogram.hpp"

// What one measured run produced: the driver's view (throughput, errors, latency) and the
// resource view of the server and of the driver, sampled from /proc. Shared by the drivers,
// the orchestrator, the results store and the reports.
namespace anvil::lab {

// Latency in microseconds. From the merged histogram when the driver gave one (anvil load,
// JSON-line programs that send one); otherwise as the driver reported it (wrk, Locust), and
// then `from_histogram` is false and absent percentiles are nullopt.
struct LatencySummary {
  std::optional<double> p50, p90, p95, p99, p999, max, mean;
  bool from_histogram = false;
};

struct DriverResult {
  uint64_t requests = 0;   // requests completed or failed inside the measured window
  uint64_t successes = 0;  // responses with status < 400 (throughput counts only these)
  double duration_s = 0;   // the measured window
  double rps = 0;          // successes / duration_s, summed over replicas
  // Error counts by class: connect, timeout, read, write, parse, status_4xx, status_5xx, ...
  // (anvil load's classes; external drivers map theirs onto them or add their own names).
  std::map<std::string, uint64_t> errors;
  std::optional<metrics::Histogram> histogram;  // microseconds, merged over replicas
  LatencySummary latency;
  bool client_bound = false;  // as the driver itself judged it (anvil load does)
  std::string client_bound_reason;
  std::vector<std::string> warnings;
  int replicas = 1;

  uint64_t error_count() const {
    uint64_t n = 0;
    for (const auto& [name, count] : errors)
      n += count;
    return n;
  }
};

// One /proc sample of a whole process tree (the root and all its descendants).
struct ResourceSample {
  double t_s = 0;                // seconds since sampling started
  double cpu_user_s = 0;         // cumulative over the tree since sampling started
  double cpu_sys_s = 0;          // cumulative
  uint64_t rss_bytes = 0;        // sum over the tree, now
  uint32_t processes = 0;        // now
  uint32_t threads = 0;          // now
  uint64_t ctx_voluntary = 0;    // cumulative since sampling started
  uint64_t ctx_involuntary = 0;  // cumulative since sampling started
};

// What the samples add up to over the measured window.
struct ResourceSummary {
  double duration_s = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  double cpu_mean_pct = 0;  // 100 = one core busy for the whole window
  double cpu_peak_pct = 0;  // the busiest interval between two samples
  uint64_t rss_peak_bytes = 0;
  uint32_t threads_peak = 0;
  uint32_t processes_peak = 0;
  double ctx_voluntary_per_s = 0;
  double ctx_involuntary_per_s = 0;
  size_t sample_count = 0;
};

}  // namespace anvil::lab
