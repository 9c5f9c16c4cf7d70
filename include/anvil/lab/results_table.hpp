#pragma once

// The results report: the trials of one configuration (suite run x target x scenario x params
// x driver) folded into one row, and that row written as an aligned table for people, or as
// CSV or JSON (raw numbers) for tools.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/lab/store.hpp"

namespace anvil::lab {

struct ResultRow {
  int64_t suite_run_id = 0;
  std::string target, scenario, params, driver;
  int trials = 0;
  int ok_trials = 0;              // status ok with a measured result
  std::vector<double> trial_rps;  // per ok trial, in trial order (compare tests these)
  std::optional<double> rps_median, rps_min, rps_max;
  std::optional<double> rps_cv;      // coefficient of variation of trial_rps (0.14 = 14%)
  std::optional<double> error_rate;  // errors / requests over all measured trials
  std::optional<double> p50_us, p95_us, p99_us, p999_us;
  bool latency_from_histogram = false;  // merged histogram of every trial, else trial medians
  std::optional<double> server_cpu_mean_pct, server_cpu_peak_pct;
  std::optional<double> server_cpu_us_per_request;  // (user + sys) / successes
  std::optional<uint64_t> server_rss_peak_bytes;
  std::optional<double> ctx_switches_per_s;  // server, voluntary + involuntary
  bool client_bound = false;                 // any trial
  std::optional<double> saturation_rps;      // stress scenarios
  std::string status;  // ok, failed: REASON, not installed, verify failed: REASON
  std::vector<std::string> warnings;
};

// Spread of trial throughputs above which a row is flagged.
inline constexpr double kNoisyCoefficientOfVariation = 0.10;

// Groups runs by configuration, in the order the store returns them.
std::vector<ResultRow> aggregate_runs(const std::vector<StoredRun>& runs);

enum class ReportFormat { table, csv, json };
std::optional<ReportFormat> report_format_from_string(std::string_view name);

std::string format_rows(const std::vector<ResultRow>& rows, ReportFormat format);

// Human units for the table: 12.3k req/s, 1.25 ms, 45 MiB.
std::string human_rate(double per_s);
std::string human_latency_us(double us);
std::string human_bytes(uint64_t bytes);

// RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled.
std::string csv_field(std::string_view text);

// Aligned columns, the first row the header; used by the results and compare tables.
std::string align_columns(const std::vector<std::vector<std::string>>& cells);

}  // namespace anvil::lab
