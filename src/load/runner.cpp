#include "anvil/load/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "anvil/core/clock.hpp"
#include "anvil/core/resource_usage.hpp"
#include "anvil/core/socket.hpp"
#include "anvil/core/units.hpp"
#include "anvil/load/interrupt.hpp"
#include "anvil/load/request_set.hpp"
#include "anvil/load/schedule.hpp"
#include "anvil/load/worker.hpp"

namespace anvil::load {

namespace {

LoadProfile make_profile(const LoadOptions& o) {
  // A run bounded only by --requests has no duration: the schedule then lasts as long as the
  // count needs (rate), or has no end (users), and the count stops the run.
  int64_t measured = o.duration_ns;
  if (measured == 0 && o.request_count) {
    measured =
        o.mode == Mode::rate
            ? static_cast<int64_t>((static_cast<double>(*o.request_count) + 1) / o.rate * 1e9) + 1
            : std::numeric_limits<int64_t>::max() / 4;
  }
  const int64_t total = o.warmup_ns + measured;
  if (o.mode == Mode::rate) {
    if (!o.stages.empty()) return LoadProfile(o.rate, o.stages);
    return LoadProfile::constant(o.rate, total);
  }
  if (o.mode == Mode::users) {
    if (!o.stages.empty()) return LoadProfile(0, o.stages);
    if (o.spawn_rate > 0) {
      const int64_t ramp =
          std::min<int64_t>(total, static_cast<int64_t>(o.users / o.spawn_rate * 1e9));
      const double reached =
          ramp < total ? o.users : o.spawn_rate * static_cast<double>(ramp) / 1e9;
      std::vector<Stage> stages{{ramp, reached}};
      if (total > ramp) stages.push_back({total - ramp, static_cast<double>(o.users)});
      return LoadProfile(0, stages);
    }
    return LoadProfile::constant(o.users, total);
  }
  return LoadProfile::constant(0, total);
}

int share_of(int total, int index, int count) {
  return total / count + (index < total % count ? 1 : 0);
}

}  // namespace

int64_t LoadOptions::measured_ns() const noexcept {
  if (stages.empty()) return duration_ns;
  int64_t total = 0;
  for (const Stage& s : stages)
    total += s.duration_ns;
  return total - warmup_ns;
}

const char* to_string(Mode mode) noexcept {
  switch (mode) {
    case Mode::closed:
      return "closed";
    case Mode::rate:
      return "rate";
    case Mode::users:
      return "users";
  }
  return "unknown";
}

LoadResult run_load(const LoadOptions& options, bool progress) {
  const core::SocketAddress address = core::resolve(options.url.host, options.url.port);
  std::unique_ptr<TlsClient> tls;
  if (options.url.tls()) tls = std::make_unique<TlsClient>(options.url.host, !options.insecure);
  const RequestSet requests(options.requests, options.url, options.keepalive);
  const LoadProfile profile = make_profile(options);

  LoadResult result;
  result.start_unix_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  RunContext context;
  context.options = &options;
  context.requests = &requests;
  context.address = address;
  context.tls = tls.get();
  context.profile = &profile;
  context.stop = &interrupt_flag();
  context.start_ns = core::monotonic_ns();
  context.measure_start_ns = context.start_ns + options.warmup_ns;
  const int64_t measured = options.measured_ns();
  const bool unbounded_time = options.request_count && measured <= 0;
  context.end_ns =
      unbounded_time ? std::numeric_limits<int64_t>::max() : context.measure_start_ns + measured;

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.threads; ++i) {
    WorkerShare share;
    share.index = i;
    share.count = options.threads;
    share.connections = share_of(options.connections, i, options.threads);
    share.users = share_of(options.users, i, options.threads);
    if (options.request_count) {
      share.requests = *options.request_count / static_cast<uint64_t>(options.threads) +
                       (static_cast<uint64_t>(i) <
                                *options.request_count % static_cast<uint64_t>(options.threads)
                            ? 1
                            : 0);
    }
    workers.push_back(std::make_unique<Worker>(context, share));
  }

  core::CpuTimes cpu_start = core::CpuTimes::of_self();
  std::vector<std::thread> threads;
  std::atomic<int> running{options.threads};
  for (auto& worker : workers) {
    threads.emplace_back([&worker, &running] {
      worker->run();
      running.fetch_sub(1, std::memory_order_release);
    });
  }

  // The main thread only watches: it takes the CPU snapshot when warm-up ends, and draws the
  // progress line once a second when asked to.
  bool warm = options.warmup_ns == 0;
  int64_t next_progress = context.start_ns + core::kNsPerSec;
  uint64_t last_requests = 0;
  while (running.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t now = core::monotonic_ns();
    if (!warm && now >= context.measure_start_ns) {
      cpu_start = core::CpuTimes::of_self();
      warm = true;
    }
    if (progress && now >= next_progress) {
      uint64_t done = 0, errors = 0;
      for (auto& w : workers) {
        done += w->progress_requests.load(std::memory_order_relaxed);
        errors += w->progress_errors.load(std::memory_order_relaxed);
      }
      const double elapsed = static_cast<double>(now - context.start_ns) / 1e9;
      std::fprintf(stderr, "\r\033[K[%6.1fs%s] %s req/s, %s requests, %s errors", elapsed,
                   now < context.measure_start_ns ? " warm-up" : "",
                   core::format_count(done - last_requests).c_str(),
                   core::format_count(done).c_str(), core::format_count(errors).c_str());
      std::fflush(stderr);
      last_requests = done;
      next_progress += core::kNsPerSec;
    }
  }
  for (auto& t : threads)
    t.join();
  const int64_t finished_ns = core::monotonic_ns();
  const core::CpuTimes cpu = core::CpuTimes::of_self() - cpu_start;
  if (progress) std::fprintf(stderr, "\r\033[K");

  int64_t last_completion = -1;
  size_t intervals = 0;
  for (auto& w : workers) {
    WorkerResult& r = w->result();
    result.counters.merge(r.counters);
    result.latency.merge(r.latency);
    result.late_sends += r.late_sends;
    result.queued_sends += r.queued_sends;
    result.dropped_queued += r.dropped_queued;
    last_completion = std::max(last_completion, r.last_completion_ns);
    intervals = std::max(intervals, r.intervals.size());
  }
  for (size_t i = 0; i < intervals; ++i) {
    metrics::Histogram merged = make_latency_histogram();
    for (auto& w : workers) {
      if (i < w->result().intervals.size()) merged.merge(w->result().intervals[i]);
    }
    result.intervals.push_back(std::move(merged));
  }

  result.interrupted = interrupt_flag().load();
  int64_t window_end = std::min(finished_ns, context.end_ns);
  if (options.request_count && last_completion > 0) {
    // A count-bounded run ends with its last answer, not with the drain of the loop.
    window_end = std::min(window_end, last_completion);
  }
  result.duration_s =
      std::max<double>(static_cast<double>(window_end - context.measure_start_ns) / 1e9, 1e-9);
  result.achieved_rate = static_cast<double>(result.counters.requests) / result.duration_s;

  const double wall =
      static_cast<double>(finished_ns - std::max(context.measure_start_ns, context.start_ns)) / 1e9;
  const int cores = std::min(options.threads, core::usable_cpu_count());
  result.cpu_user_s = cpu.user_s;
  result.cpu_sys_s = cpu.sys_s;
  result.cpu_utilization = wall > 0 ? cpu.total_s() / (wall * cores) : 0;
  if (result.cpu_utilization >= 0.9) {
    result.client_bound = true;
    char reason[160];
    std::snprintf(reason, sizeof reason, "the client used %.0f%% of the %d core%s it had",
                  result.cpu_utilization * 100, cores, cores == 1 ? "" : "s");
    result.client_bound_reason = reason;
  }
  if (options.mode == Mode::rate && result.counters.requests > 0) {
    const double late =
        static_cast<double>(result.late_sends) / static_cast<double>(result.counters.requests);
    if (late > 0.01) {
      result.client_bound = true;
      char reason[200];
      std::snprintf(reason, sizeof reason,
                    "%.1f%% of requests left more than 1 ms after their intended time with a "
                    "connection free: the client fell behind the schedule",
                    late * 100);
      if (!result.client_bound_reason.empty()) result.client_bound_reason += "; ";
      result.client_bound_reason += reason;
    }
    if (result.queued_sends > 0) {
      char warning[240];
      std::snprintf(warning, sizeof warning,
                    "%s requests waited for a free connection (all %d busy): the server could "
                    "not keep up with %.0f req/s on %d connections; latency includes that wait",
                    core::format_count(result.queued_sends).c_str(), options.connections,
                    options.rate, options.connections);
      result.warnings.push_back(warning);
    }
  }
  if (result.interrupted)
    result.warnings.push_back("interrupted: results cover the time run so far");
  return result;
}

}  // namespace anvil::load
