#include "anvil/lab/results_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "anvil/lab/statistics.hpp"

namespace anvil::lab {
namespace {

using Json = nlohmann::json;

std::string failure_status(const RunRecord& r) {
  switch (r.status) {
    case RunStatus::ok:
      return "failed: no result";  // ok but nothing measured
    case RunStatus::failed:
      return "failed: " + r.reason;
    case RunStatus::verify_failed:
      return "verify failed: " + r.reason;
    case RunStatus::not_installed:
      return r.reason.empty() ? "not installed" : "not installed: " + r.reason;
  }
  return "failed";
}

void add_unique(std::vector<std::string>& out, const std::string& s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
}

std::optional<double> median_of_present(const std::vector<const DriverResult*>& results,
                                        std::optional<double> LatencySummary::*field) {
  std::vector<double> values;
  for (const DriverResult* r : results)
    if (r->latency.*field) values.push_back(*(r->latency.*field));
  if (values.empty()) return std::nullopt;
  return median(values);
}

ResultRow fold(const std::vector<const StoredRun*>& trials) {
  ResultRow row;
  const RunKey& key = trials.front()->record.key;
  row.suite_run_id = trials.front()->suite_run_id;
  row.target = key.target;
  row.scenario = key.scenario;
  row.params = key.params;
  row.driver = key.driver;
  row.trials = static_cast<int>(trials.size());

  std::vector<const DriverResult*> measured;  // every trial with a result, for errors
  std::vector<const StoredRun*> ok;
  uint64_t requests = 0, errors = 0, successes = 0;
  double cpu_s = 0;
  std::vector<double> cpu_mean, ctx, saturation;
  std::optional<std::string> first_failure;
  for (const StoredRun* t : trials) {
    const RunRecord& r = t->record;
    for (const std::string& w : r.warnings)
      add_unique(row.warnings, w);
    if (r.result) {
      measured.push_back(&*r.result);
      requests += r.result->requests;
      errors += r.result->error_count();
      row.client_bound = row.client_bound || r.result->client_bound;
      for (const std::string& w : r.result->warnings)
        add_unique(row.warnings, w);
    }
    if (r.status != RunStatus::ok || !r.result) {
      if (!first_failure) first_failure = failure_status(r);
      continue;
    }
    ok.push_back(t);
    row.trial_rps.push_back(r.result->rps);
    successes += r.result->successes;
    if (r.server.sample_count > 0) {
      cpu_s += r.server.cpu_user_s + r.server.cpu_sys_s;
      cpu_mean.push_back(r.server.cpu_mean_pct);
      row.server_cpu_peak_pct =
          std::max(row.server_cpu_peak_pct.value_or(0), r.server.cpu_peak_pct);
      row.server_rss_peak_bytes =
          std::max(row.server_rss_peak_bytes.value_or(0), r.server.rss_peak_bytes);
      ctx.push_back(r.server.ctx_voluntary_per_s + r.server.ctx_involuntary_per_s);
    }
    if (r.saturation_rps > 0) saturation.push_back(r.saturation_rps);
  }
  row.ok_trials = static_cast<int>(ok.size());
  if (requests > 0) row.error_rate = static_cast<double>(errors) / static_cast<double>(requests);

  if (!row.trial_rps.empty()) {
    row.rps_median = median(row.trial_rps);
    row.rps_min = min_of(row.trial_rps);
    row.rps_max = max_of(row.trial_rps);
    row.rps_cv = coefficient_of_variation(row.trial_rps);
    if (row.trial_rps.size() >= 2 && *row.rps_cv > kNoisyCoefficientOfVariation) {
      row.warnings.insert(row.warnings.begin(),
                          fmt::format("throughput spread {:.0f}% across {} trials",
                                      *row.rps_cv * 100, row.trial_rps.size()));
    }
  }
  if (!cpu_mean.empty()) {
    row.server_cpu_mean_pct = mean(cpu_mean);
    row.ctx_switches_per_s = mean(ctx);
    if (successes > 0) row.server_cpu_us_per_request = cpu_s * 1e6 / static_cast<double>(successes);
  }
  if (!saturation.empty()) row.saturation_rps = median(saturation);

  // Percentiles are never averaged: merge the trials' histograms when all have one.
  std::vector<const DriverResult*> ok_results;
  for (const StoredRun* t : ok)
    ok_results.push_back(&*t->record.result);
  const bool all_histograms =
      !ok_results.empty() &&
      std::all_of(ok_results.begin(), ok_results.end(),
                  [](const DriverResult* r) { return r->histogram.has_value(); });
  if (all_histograms) {
    metrics::Histogram merged = *ok_results.front()->histogram;
    for (size_t i = 1; i < ok_results.size(); ++i)
      merged.merge(*ok_results[i]->histogram);
    if (merged.count() > 0) {
      row.latency_from_histogram = true;
      row.p50_us = static_cast<double>(merged.value_at_percentile(50));
      row.p95_us = static_cast<double>(merged.value_at_percentile(95));
      row.p99_us = static_cast<double>(merged.value_at_percentile(99));
      row.p999_us = static_cast<double>(merged.value_at_percentile(99.9));
    }
  }
  if (!row.latency_from_histogram && !ok_results.empty()) {
    row.p50_us = median_of_present(ok_results, &LatencySummary::p50);
    row.p95_us = median_of_present(ok_results, &LatencySummary::p95);
    row.p99_us = median_of_present(ok_results, &LatencySummary::p99);
    row.p999_us = median_of_present(ok_results, &LatencySummary::p999);
  }

  if (!first_failure) {
    row.status = "ok";
  } else {
    row.status = *first_failure;
    if (row.ok_trials > 0) {
      row.status += fmt::format(" ({} of {} trials)", row.trials - row.ok_trials, row.trials);
    }
  }
  return row;
}

Json optional_json(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::string raw_number(const std::optional<double>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}

std::string or_dash(const std::optional<double>& v, std::string (*format)(double)) {
  return v ? format(*v) : "-";
}

std::string percent(double fraction) {
  return fmt::format("{:.1f}%", fraction * 100);
}
std::string cpu_percent(double pct) {
  return fmt::format("{:.0f}%", pct);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string to_table(const std::vector<ResultRow>& rows) {
  std::vector<std::vector<std::string>> cells{
      {"target",   "scenario", "params", "driver", "trials", "req/s",      "min..max",
       "cv",       "errors",   "p50",    "p95",    "p99",    "p99.9",      "cpu",
       "cpu peak", "cpu/req",  "rss",    "ctx/s",  "client", "saturation", "status"}};
  for (const ResultRow& r : rows) {
    cells.push_back({
        r.target,
        r.scenario,
        r.params.empty() ? "-" : r.params,
        r.driver,
        fmt::format("{}/{}", r.ok_trials, r.trials),
        or_dash(r.rps_median, human_rate),
        r.rps_min ? human_rate(*r.rps_min) + ".." + human_rate(*r.rps_max) : "-",
        or_dash(r.rps_cv, percent),
        or_dash(r.error_rate, percent),
        or_dash(r.p50_us, human_latency_us),
        or_dash(r.p95_us, human_latency_us),
        or_dash(r.p99_us, human_latency_us),
        or_dash(r.p999_us, human_latency_us),
        or_dash(r.server_cpu_mean_pct, cpu_percent),
        or_dash(r.server_cpu_peak_pct, cpu_percent),
        r.server_cpu_us_per_request ? fmt::format("{:.1f} us", *r.server_cpu_us_per_request) : "-",
        r.server_rss_peak_bytes ? human_bytes(*r.server_rss_peak_bytes) : "-",
        or_dash(r.ctx_switches_per_s, human_rate),
        r.client_bound ? "BOUND" : "",
        or_dash(r.saturation_rps, human_rate),
        r.status,
    });
  }
  std::string out = align_columns(cells);
  for (const ResultRow& r : rows) {
    for (const std::string& w : r.warnings) {
      out += fmt::format("warning: {}/{}{}{} ({}): {}\n", r.target, r.scenario,
                         r.params.empty() ? "" : " ", r.params, r.driver, w);
    }
  }
  return out;
}

const std::vector<std::string> kCsvColumns{"suite_run_id",
                                           "target",
                                           "scenario",
                                           "params",
                                           "driver",
                                           "trials",
                                           "ok_trials",
                                           "rps_median",
                                           "rps_min",
                                           "rps_max",
                                           "rps_cv",
                                           "error_rate",
                                           "p50_us",
                                           "p95_us",
                                           "p99_us",
                                           "p999_us",
                                           "latency_from_histogram",
                                           "server_cpu_mean_pct",
                                           "server_cpu_peak_pct",
                                           "server_cpu_us_per_request",
                                           "server_rss_peak_bytes",
                                           "ctx_switches_per_s",
                                           "client_bound",
                                           "saturation_rps",
                                           "status",
                                           "warnings"};

std::string to_csv(const std::vector<ResultRow>& rows) {
  std::vector<std::string> header;
  for (const std::string& c : kCsvColumns)
    header.push_back(csv_field(c));
  std::string out = join(header, ",") + "\r\n";
  for (const ResultRow& r : rows) {
    std::vector<std::string> f{
        std::to_string(r.suite_run_id),
        csv_field(r.target),
        csv_field(r.scenario),
        csv_field(r.params),
        csv_field(r.driver),
        std::to_string(r.trials),
        std::to_string(r.ok_trials),
        raw_number(r.rps_median),
        raw_number(r.rps_min),
        raw_number(r.rps_max),
        raw_number(r.rps_cv),
        raw_number(r.error_rate),
        raw_number(r.p50_us),
        raw_number(r.p95_us),
        raw_number(r.p99_us),
        raw_number(r.p999_us),
        r.latency_from_histogram ? "true" : "false",
        raw_number(r.server_cpu_mean_pct),
        raw_number(r.server_cpu_peak_pct),
        raw_number(r.server_cpu_us_per_request),
        r.server_rss_peak_bytes ? std::to_string(*r.server_rss_peak_bytes) : "",
        raw_number(r.ctx_switches_per_s),
        r.client_bound ? "true" : "false",
        raw_number(r.saturation_rps),
        csv_field(r.status),
        csv_field(join(r.warnings, "; ")),
    };
    out += join(f, ",") + "\r\n";
  }
  return out;
}

std::string to_json(const std::vector<ResultRow>& rows) {
  Json out = Json::array();
  for (const ResultRow& r : rows) {
    out.push_back({
        {"suite_run_id", r.suite_run_id},
        {"target", r.target},
        {"scenario", r.scenario},
        {"params", r.params},
        {"driver", r.driver},
        {"trials", r.trials},
        {"ok_trials", r.ok_trials},
        {"trial_rps", r.trial_rps},
        {"rps_median", optional_json(r.rps_median)},
        {"rps_min", optional_json(r.rps_min)},
        {"rps_max", optional_json(r.rps_max)},
        {"rps_cv", optional_json(r.rps_cv)},
        {"error_rate", optional_json(r.error_rate)},
        {"p50_us", optional_json(r.p50_us)},
        {"p95_us", optional_json(r.p95_us)},
        {"p99_us", optional_json(r.p99_us)},
        {"p999_us", optional_json(r.p999_us)},
        {"latency_from_histogram", r.latency_from_histogram},
        {"server_cpu_mean_pct", optional_json(r.server_cpu_mean_pct)},
        {"server_cpu_peak_pct", optional_json(r.server_cpu_peak_pct)},
        {"server_cpu_us_per_request", optional_json(r.server_cpu_us_per_request)},
        {"server_rss_peak_bytes",
         r.server_rss_peak_bytes ? Json(*r.server_rss_peak_bytes) : Json(nullptr)},
        {"ctx_switches_per_s", optional_json(r.ctx_switches_per_s)},
        {"client_bound", r.client_bound},
        {"saturation_rps", optional_json(r.saturation_rps)},
        {"status", r.status},
        {"warnings", r.warnings},
    });
  }
  return out.dump(2) + "\n";
}

}  // namespace

std::vector<ResultRow> aggregate_runs(const std::vector<StoredRun>& runs) {
  using Key = std::tuple<int64_t, std::string, std::string, std::string, std::string>;
  std::vector<Key> order;
  std::map<Key, std::vector<const StoredRun*>> groups;
  for (const StoredRun& run : runs) {
    const RunKey& k = run.record.key;
    Key key{run.suite_run_id, k.target, k.scenario, k.params, k.driver};
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.push_back(&run);
  }
  std::vector<ResultRow> rows;
  for (const Key& key : order) {
    auto& trials = groups[key];
    std::stable_sort(trials.begin(), trials.end(), [](const StoredRun* a, const StoredRun* b) {
      return a->record.key.trial < b->record.key.trial;
    });
    rows.push_back(fold(trials));
  }
  return rows;
}

std::optional<ReportFormat> report_format_from_string(std::string_view name) {
  if (name == "table") return ReportFormat::table;
  if (name == "csv") return ReportFormat::csv;
  if (name == "json") return ReportFormat::json;
  return std::nullopt;
}

std::string format_rows(const std::vector<ResultRow>& rows, ReportFormat format) {
  switch (format) {
    case ReportFormat::table:
      return to_table(rows);
    case ReportFormat::csv:
      return to_csv(rows);
    case ReportFormat::json:
      return to_json(rows);
  }
  return {};
}

std::string human_rate(double per_s) {
  const double a = std::abs(per_s);
  if (a >= 1e9) return fmt::format("{:.2f}G", per_s / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f}M", per_s / 1e6);
  if (a >= 1e3) return fmt::format("{:.1f}k", per_s / 1e3);
  return fmt::format("{:.0f}", per_s);
}

std::string human_latency_us(double us) {
  if (us >= 1e6) return fmt::format("{:.2f} s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.2f} ms", us / 1e3);
  return fmt::format("{:.0f} us", us);
}

std::string human_bytes(uint64_t bytes) {
  const auto b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.0f} MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return fmt::format("{:.0f} KiB", b / 1024.0);
  return fmt::format("{} B", bytes);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string align_columns(const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width;
  for (const auto& row : cells) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace anvil::lab
