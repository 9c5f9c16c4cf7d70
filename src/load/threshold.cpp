#include "anvil/load/threshold.hpp"

#include <array>
#include <cstdio>

#include "anvil/core/units.hpp"

namespace anvil::load {

namespace {

struct LatencyMetric {
  std::string_view name;
  double percentile;  // < 0: not a percentile
};
constexpr std::array<LatencyMetric, 12> kLatencyMetrics{{{"p50", 50},
                                                         {"p75", 75},
                                                         {"p90", 90},
                                                         {"p95", 95},
                                                         {"p99", 99},
                                                         {"p99.9", 99.9},
                                                         {"p99_9", 99.9},
                                                         {"p99.99", 99.99},
                                                         {"p99_99", 99.99},
                                                         {"max", 100},
                                                         {"min", 0},
                                                         {"mean", -1}}};

const LatencyMetric* find_latency_metric(std::string_view name) {
  for (const auto& m : kLatencyMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace

std::optional<Threshold> parse_threshold(std::string_view text, std::string& error) {
  const size_t op_at = text.find_first_of("<>");
  if (op_at == std::string_view::npos || op_at == 0) {
    error = "threshold '" + std::string(text) + "' must look like p99<200ms, errors<1% or rps>1000";
    return std::nullopt;
  }
  Threshold t;
  t.text = std::string(text);
  t.metric = std::string(text.substr(0, op_at));
  const bool or_equal = op_at + 1 < text.size() && text[op_at + 1] == '=';
  t.op = std::string(text.substr(op_at, or_equal ? 2 : 1));
  std::string_view value = text.substr(op_at + t.op.size());
  if (find_latency_metric(t.metric) != nullptr) {
    auto ns = core::parse_duration_ns(value);
    if (!ns || value.empty() ||
        (value.back() != 's' && value.back() != 'm' && value.back() != 'h')) {
      error = "threshold '" + t.text + "': latency needs a value with a unit (us, ms, s)";
      return std::nullopt;
    }
    t.value = static_cast<double>(*ns) / 1e3;
    return t;
  }
  if (t.metric == "errors") {
    if (value.ends_with('%')) {
      value.remove_suffix(1);
      t.percent = true;
    }
    auto number = core::parse_number(value);
    if (!number || (t.percent && *number > 100)) {
      error = "threshold '" + t.text + "': errors needs a count or a percentage such as 1%";
      return std::nullopt;
    }
    t.value = t.percent ? *number / 100 : *number;
    return t;
  }
  if (t.metric == "rps") {
    auto number = core::parse_number(value);
    if (!number) {
      error = "threshold '" + t.text + "': rps needs a number";
      return std::nullopt;
    }
    t.value = *number;
    return t;
  }
  error = "threshold '" + t.text + "': unknown metric '" + t.metric +
          "' (p50 p75 p90 p95 p99 p99.9 p99.99 min max mean errors rps)";
  return std::nullopt;
}

double measured_value(const Threshold& t, const LoadResult& result) {
  if (const LatencyMetric* m = find_latency_metric(t.metric)) {
    if (m->percentile < 0) return result.latency.mean();
    return static_cast<double>(result.latency.value_at_percentile(m->percentile));
  }
  if (t.metric == "errors") {
    if (t.percent) return result.error_ratio();
    return static_cast<double>(result.counters.failed() + result.counters.status_range(400, 599));
  }
  return result.rps();
}

std::string format_measured(const Threshold& t, double value) {
  char text[64];
  if (find_latency_metric(t.metric) != nullptr) return core::format_latency_us(value);
  if (t.metric == "errors" && t.percent) {
    std::snprintf(text, sizeof text, "%.2f%%", value * 100);
  } else if (t.metric == "errors") {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.1f req/s", value);
  }
  return text;
}

bool threshold_holds(const Threshold& t, const LoadResult& result) {
  const double v = measured_value(t, result);
  if (t.op == "<") return v < t.value;
  if (t.op == "<=") return v <= t.value;
  if (t.op == ">") return v > t.value;
  return v >= t.value;
}

}  // namespace anvil::load
