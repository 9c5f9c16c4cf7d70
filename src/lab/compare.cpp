#include "anvil/lab/compare.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "anvil/lab/statistics.hpp"

namespace anvil::lab {
namespace {

using Json = nlohmann::json;
using ConfigKey = std::tuple<std::string, std::string, std::string, std::string>;

ConfigKey key_of(const ResultRow& r) {
  return {r.target, r.scenario, r.params, r.driver};
}

std::optional<double> relative_change(const std::optional<double>& a,
                                      const std::optional<double>& b) {
  if (!a || !b || *a == 0) return std::nullopt;
  return (*b - *a) / *a;
}

CompareRow start_row(const ResultRow& r) {
  CompareRow c;
  c.target = r.target;
  c.scenario = r.scenario;
  c.params = r.params;
  c.driver = r.driver;
  return c;
}

std::string label(const CompareRow& r) {
  return fmt::format("{}/{}{}{} ({})", r.target, r.scenario, r.params.empty() ? "" : " ", r.params,
                     r.driver);
}

Json optional_json(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}
std::string raw(const std::optional<double>& v) {
  return v ? fmt::format("{}", *v) : "";
}

std::string signed_percent(const std::optional<double>& v) {
  return v ? fmt::format("{:+.1f}%", *v * 100) : "-";
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::significant:
      return "significant";
    case Verdict::within_noise:
      return "within noise";
    case Verdict::too_few_trials:
      return "too few trials";
    case Verdict::only_in_a:
      return "only in A";
    case Verdict::only_in_b:
      return "only in B";
  }
  return "";
}

bool CompareRow::regressed_beyond(double fraction) const {
  if (verdict != Verdict::significant) return false;
  return (rps_change && *rps_change < -fraction) || (p99_change && *p99_change > fraction);
}

Comparison compare_rows(const std::vector<ResultRow>& a, const std::vector<ResultRow>& b) {
  Comparison out;
  if (!a.empty()) out.suite_run_a = a.front().suite_run_id;
  if (!b.empty()) out.suite_run_b = b.front().suite_run_id;
  std::map<ConfigKey, const ResultRow*> in_b;
  for (const ResultRow& r : b)
    in_b.emplace(key_of(r), &r);
  std::map<ConfigKey, bool> matched;
  for (const ResultRow& ra : a) {
    CompareRow c = start_row(ra);
    c.rps_a = ra.rps_median;
    c.p99_a_us = ra.p99_us;
    c.trials_a = static_cast<int>(ra.trial_rps.size());
    auto it = in_b.find(key_of(ra));
    if (it == in_b.end()) {
      c.verdict = Verdict::only_in_a;
      out.rows.push_back(std::move(c));
      continue;
    }
    matched[it->first] = true;
    const ResultRow& rb = *it->second;
    c.rps_b = rb.rps_median;
    c.p99_b_us = rb.p99_us;
    c.trials_b = static_cast<int>(rb.trial_rps.size());
    c.rps_change = relative_change(c.rps_a, c.rps_b);
    c.p99_change = relative_change(c.p99_a_us, c.p99_b_us);
    if (c.trials_a < kMinTrialsToCompare || c.trials_b < kMinTrialsToCompare) {
      c.verdict = Verdict::too_few_trials;
    } else {
      c.p_value = mann_whitney_u(ra.trial_rps, rb.trial_rps).p_value;
      c.verdict = *c.p_value < kSignificanceLevel ? Verdict::significant : Verdict::within_noise;
    }
    if (c.trials_a < kRecommendedTrials || c.trials_b < kRecommendedTrials) {
      out.warnings.push_back(fmt::format(
          "{}: {} vs {} trials; at least {} a side are needed to tell a change from noise",
          label(c), c.trials_a, c.trials_b, kRecommendedTrials));
    }
    out.rows.push_back(std::move(c));
  }
  for (const ResultRow& rb : b) {
    if (matched.count(key_of(rb)) > 0) continue;
    CompareRow c = start_row(rb);
    c.rps_b = rb.rps_median;
    c.p99_b_us = rb.p99_us;
    c.trials_b = static_cast<int>(rb.trial_rps.size());
    c.verdict = Verdict::only_in_b;
    out.rows.push_back(std::move(c));
  }
  return out;
}

std::string format_comparison(const Comparison& c, ReportFormat format) {
  if (format == ReportFormat::json) {
    Json rows = Json::array();
    for (const CompareRow& r : c.rows) {
      rows.push_back({{"target", r.target},
                      {"scenario", r.scenario},
                      {"params", r.params},
                      {"driver", r.driver},
                      {"verdict", to_string(r.verdict)},
                      {"trials_a", r.trials_a},
                      {"trials_b", r.trials_b},
                      {"rps_a", optional_json(r.rps_a)},
                      {"rps_b", optional_json(r.rps_b)},
                      {"rps_change", optional_json(r.rps_change)},
                      {"p99_a_us", optional_json(r.p99_a_us)},
                      {"p99_b_us", optional_json(r.p99_b_us)},
                      {"p99_change", optional_json(r.p99_change)},
                      {"p_value", optional_json(r.p_value)}});
    }
    Json out{{"a", c.suite_run_a}, {"b", c.suite_run_b}, {"rows", rows}, {"warnings", c.warnings}};
    return out.dump(2) + "\n";
  }
  if (format == ReportFormat::csv) {
    std::string out =
        "target,scenario,params,driver,verdict,trials_a,trials_b,rps_a,rps_b,rps_change,"
        "p99_a_us,p99_b_us,p99_change,p_value\r\n";
    for (const CompareRow& r : c.rows) {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n", csv_field(r.target),
                         csv_field(r.scenario), csv_field(r.params), csv_field(r.driver),
                         to_string(r.verdict), r.trials_a, r.trials_b, raw(r.rps_a), raw(r.rps_b),
                         raw(r.rps_change), raw(r.p99_a_us), raw(r.p99_b_us), raw(r.p99_change),
                         raw(r.p_value));
    }
    return out;
  }
  std::vector<std::vector<std::string>> cells{{"target", "scenario", "params", "driver", "req/s A",
                                               "req/s B", "change", "p99 A", "p99 B", "change", "p",
                                               "verdict"}};
  auto rate = [](const std::optional<double>& v) { return v ? human_rate(*v) : "-"; };
  auto latency = [](const std::optional<double>& v) { return v ? human_latency_us(*v) : "-"; };
  for (const CompareRow& r : c.rows) {
    cells.push_back({r.target, r.scenario, r.params.empty() ? "-" : r.params, r.driver,
                     rate(r.rps_a), rate(r.rps_b), signed_percent(r.rps_change),
                     latency(r.p99_a_us), latency(r.p99_b_us), signed_percent(r.p99_change),
                     r.p_value ? fmt::format("{:.3f}", *r.p_value) : "-", to_string(r.verdict)});
  }
  std::string out =
      fmt::format("compare suite run {} (A) with {} (B)\n", c.suite_run_a, c.suite_run_b) +
      align_columns(cells);
  for (const std::string& w : c.warnings)
    out += "warning: " + w + "\n";
  return out;
}

std::optional<double> parse_percent(const std::string& text) {
  std::string number = text;
  if (!number.empty() && number.back() == '%') number.pop_back();
  if (number.empty()) return std::nullopt;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != number.size() || !std::isfinite(value) || value < 0 || value > 1000) {
    return std::nullopt;
  }
  return value / 100;
}

}  // namespace anvil::lab
