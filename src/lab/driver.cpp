#include "anvil/lab/driver.hpp"

#include <algorithm>
#include <stdexcept>

#include "driver_kinds.hpp"

namespace anvil::lab {

const char* to_string(DriverKind k) {
  switch (k) {
    case DriverKind::anvil:
      return "anvil";
    case DriverKind::wrk:
      return "wrk";
    case DriverKind::locust:
      return "locust";
    case DriverKind::command:
      return "command";
  }
  return "?";
}

DriverInvocation build_invocation(const DriverSpec& driver, const WorkloadSpec& workload,
                                  const LoadShape& shape, const DriverTarget& target, int replica) {
  switch (driver.kind) {
    case DriverKind::anvil:
      return anvil_invocation(driver, workload, shape, target, replica);
    default:
      break;
  }
  throw std::invalid_argument(std::string("the ") + to_string(driver.kind) +
                              " driver is not available in this build");
}

DriverResult parse_result(const DriverSpec& driver, const DriverInvocation& invocation) {
  switch (driver.kind) {
    case DriverKind::anvil:
      return parse_anvil_result(invocation);
    default:
      break;
  }
  throw std::runtime_error(std::string("no parser for the ") + to_string(driver.kind) + " driver");
}

LatencySummary summarize_histogram(const metrics::Histogram& h) {
  LatencySummary s;
  s.from_histogram = true;
  if (h.count() == 0) return s;
  s.p50 = static_cast<double>(h.value_at_percentile(50));
  s.p90 = static_cast<double>(h.value_at_percentile(90));
  s.p95 = static_cast<double>(h.value_at_percentile(95));
  s.p99 = static_cast<double>(h.value_at_percentile(99));
  s.p999 = static_cast<double>(h.value_at_percentile(99.9));
  s.max = static_cast<double>(h.max());
  s.mean = h.mean();
  return s;
}

DriverResult merge_replicas(const std::vector<DriverResult>& replicas) {
  if (replicas.empty()) throw std::invalid_argument("no driver results to merge");
  if (replicas.size() == 1) return replicas.front();
  DriverResult merged;
  merged.replicas = static_cast<int>(replicas.size());
  bool all_histograms = true;
  for (const DriverResult& r : replicas) {
    merged.requests += r.requests;
    merged.successes += r.successes;
    merged.rps += r.rps;
    merged.duration_s = std::max(merged.duration_s, r.duration_s);
    for (const auto& [name, count] : r.errors)
      merged.errors[name] += count;
    if (r.histogram) {
      if (merged.histogram) {
        merged.histogram->merge(*r.histogram);
      } else {
        merged.histogram = *r.histogram;
      }
    } else {
      all_histograms = false;
    }
    if (r.client_bound && !merged.client_bound) {
      merged.client_bound = true;
      merged.client_bound_reason = r.client_bound_reason;
    }
    for (const auto& w : r.warnings) {
      if (std::find(merged.warnings.begin(), merged.warnings.end(), w) == merged.warnings.end())
        merged.warnings.push_back(w);
    }
  }
  if (all_histograms && merged.histogram) {
    merged.latency = summarize_histogram(*merged.histogram);
  } else {
    // Percentiles cannot be merged: the worst replica's stand for the whole, and say so.
    merged.histogram.reset();
    auto worst = [&](auto member) {
      std::optional<double> v;
      for (const DriverResult& r : replicas) {
        const auto& x = r.latency.*member;
        if (x && (!v || *x > *v)) v = x;
      }
      return v;
    };
    merged.latency.p50 = worst(&LatencySummary::p50);
    merged.latency.p90 = worst(&LatencySummary::p90);
    merged.latency.p95 = worst(&LatencySummary::p95);
    merged.latency.p99 = worst(&LatencySummary::p99);
    merged.latency.p999 = worst(&LatencySummary::p999);
    merged.latency.max = worst(&LatencySummary::max);
    merged.latency.mean = worst(&LatencySummary::mean);
    merged.latency.from_histogram = false;
  }
  return merged;
}

}  // namespace anvil::lab
