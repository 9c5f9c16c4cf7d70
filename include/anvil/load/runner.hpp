#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anvil/load/options.hpp"
#include "anvil/load/stats.hpp"

namespace anvil::load {

// The merged outcome of one `anvil load` run.
struct LoadResult {
  Counters counters;
  metrics::Histogram latency = make_latency_histogram();
  std::vector<metrics::Histogram> intervals;  // per second, merged across workers
  double duration_s = 0;                      // the measured window
  double achieved_rate = 0;                   // requests started per second (rate mode)
  uint64_t late_sends = 0;
  uint64_t queued_sends = 0;
  uint64_t dropped_queued = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  double cpu_utilization = 0;  // of the cores the client could use (min(threads, CPUs))
  bool client_bound = false;
  std::string client_bound_reason;
  std::vector<std::string> warnings;
  bool interrupted = false;
  int64_t start_unix_ms = 0;

  double rps() const noexcept { return duration_s > 0 ? counters.successes / duration_s : 0; }
  double error_ratio() const noexcept {
    return counters.requests
               ? static_cast<double>(counters.failed() + counters.status_range(400, 599)) /
                     static_cast<double>(counters.requests)
               : 0;
  }
};

// Runs the load described by `options` and blocks until it ends (duration, request count, or
// SIGINT). Throws std::runtime_error for set-up failures (unresolvable host, TLS context).
// `progress` prints a live line to stderr once a second.
LoadResult run_load(const LoadOptions& options, bool progress);

}  // namespace anvil::load
