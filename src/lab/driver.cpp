#include "anvil/lab/driver.hpp"

#include <algorithm>
#include <stdexcept>

#include "driver_detail.hpp"

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
  return "unknown";
}

DriverInvocation build_invocation(const DriverSpec& driver, const WorkloadSpec& workload,
                                  const LoadShape& shape, const DriverTarget& target, int replica) {
  if (workload.requests.empty()) {
    throw std::invalid_argument("workload '" + workload.name + "' has no request");
  }
  if (shape.connections < 1) throw std::invalid_argument("connections must be >= 1");
  if (shape.duration_s <= 0) throw std::invalid_argument("duration must be > 0");
  if (shape.mode == LoadShape::Mode::rate && shape.rate <= 0) {
    throw std::invalid_argument("rate mode needs a rate > 0");
  }
  switch (driver.kind) {
    case DriverKind::anvil:
      return detail::build_anvil(driver, workload, shape, target, replica);
    case DriverKind::wrk:
      return detail::build_wrk(driver, workload, shape, target, replica);
    case DriverKind::locust:
      return detail::build_locust(driver, workload, shape, target, replica);
    case DriverKind::command:
      return detail::build_command(driver, workload, shape, target, replica);
  }
  throw std::invalid_argument("unknown driver kind");
}

DriverResult parse_result(const DriverSpec& driver, const DriverInvocation& invocation) {
  switch (driver.kind) {
    case DriverKind::anvil:
      return detail::parse_anvil(invocation);
    case DriverKind::wrk:
      return detail::parse_wrk(invocation);
    case DriverKind::locust:
      return detail::parse_locust(invocation);
    case DriverKind::command:
      return detail::parse_command(invocation);
  }
  throw std::invalid_argument("unknown driver kind");
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

namespace {

// Percentiles of different replicas cannot be combined exactly without their histograms; the
// worst replica's value is an upper bound and never flatters the target.
void take_worst(std::optional<double>& into, const std::optional<double>& value) {
  if (!value) return;
  into = into ? std::max(*into, *value) : *value;
}

}  // namespace

DriverResult merge_replicas(const std::vector<DriverResult>& replicas) {
  if (replicas.empty()) throw std::invalid_argument("merge_replicas: no replica");
  DriverResult merged;
  merged.replicas = 0;
  bool all_histograms = true;
  for (const DriverResult& r : replicas) {
    merged.requests += r.requests;
    merged.successes += r.successes;
    merged.duration_s = std::max(merged.duration_s, r.duration_s);
    merged.rps += r.rps;
    for (const auto& [name, count] : r.errors)
      merged.errors[name] += count;
    if (r.client_bound) {
      if (!merged.client_bound) merged.client_bound_reason = r.client_bound_reason;
      merged.client_bound = true;
    }
    for (const std::string& w : r.warnings) {
      if (std::find(merged.warnings.begin(), merged.warnings.end(), w) == merged.warnings.end())
        merged.warnings.push_back(w);
    }
    merged.replicas += r.replicas;
    if (!r.histogram) all_histograms = false;
  }
  if (all_histograms) {
    try {
      metrics::Histogram union_histogram = *replicas.front().histogram;
      for (size_t i = 1; i < replicas.size(); ++i)
        union_histogram.merge(*replicas[i].histogram);
      merged.latency = summarize_histogram(union_histogram);
      merged.histogram = std::move(union_histogram);
      return merged;
    } catch (const std::invalid_argument&) {
      merged.warnings.push_back(
          "replica histograms have different layouts; latency is the worst replica's");
    }
  }
  for (const DriverResult& r : replicas) {
    take_worst(merged.latency.p50, r.latency.p50);
    take_worst(merged.latency.p90, r.latency.p90);
    take_worst(merged.latency.p95, r.latency.p95);
    take_worst(merged.latency.p99, r.latency.p99);
    take_worst(merged.latency.p999, r.latency.p999);
    take_worst(merged.latency.max, r.latency.max);
    take_worst(merged.latency.mean, r.latency.mean);
  }
  merged.latency.from_histogram = false;
  return merged;
}

}  // namespace anvil::lab
