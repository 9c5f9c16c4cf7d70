#pragma once

// Two suite runs side by side: per configuration, the relative change of median throughput and
// of p99, and whether the throughput change is beyond the spread of the trials (Mann-Whitney U
// on the per-trial throughputs) - so CI can gate on real regressions, not on noise.
#include <optional>
#include <string>
#include <vector>

#include "anvil/lab/results_table.hpp"

namespace anvil::lab {

inline constexpr double kSignificanceLevel = 0.05;
inline constexpr int kMinTrialsToCompare = 3;  // fewer a side: never significant
inline constexpr int kRecommendedTrials = 5;   // fewer a side: a warning

enum class Verdict { significant, within_noise, too_few_trials, only_in_a, only_in_b };
const char* to_string(Verdict v);

struct CompareRow {
  std::string target, scenario, params, driver;
  Verdict verdict = Verdict::within_noise;
  std::optional<double> rps_a, rps_b;
  std::optional<double> rps_change;  // (b - a) / a: -0.10 = 10% less throughput in B
  std::optional<double> p99_a_us, p99_b_us;
  std::optional<double> p99_change;  // (b - a) / a: +0.10 = p99 10% higher in B
  std::optional<double> p_value;
  int trials_a = 0, trials_b = 0;  // ok trials

  // B is slower than A by more than `fraction` (throughput down or p99 up) and significantly.
  bool regressed_beyond(double fraction) const;
};

struct Comparison {
  int64_t suite_run_a = 0, suite_run_b = 0;
  std::vector<CompareRow> rows;  // A's order, then rows only in B
  std::vector<std::string> warnings;
};

Comparison compare_rows(const std::vector<ResultRow>& a, const std::vector<ResultRow>& b);

std::string format_comparison(const Comparison& c, ReportFormat format);

// Parses "5%", "5" or "2.5%" into 0.05 / 0.025; nullopt unless a finite number in [0, 1000].
std::optional<double> parse_percent(const std::string& text);

}  // namespace anvil::lab
