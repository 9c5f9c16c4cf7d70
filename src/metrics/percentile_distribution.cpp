#include "anvil/metrics/percentile_distribution.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

namespace anvil::metrics {

namespace {

// Next reporting level: the step is 100 / (ticks * 2^(floor(log2(100 / (100 - level))) + 1)),
// so every halving of the distance to 100% gets `ticks` rows (HdrHistogram's PercentileIterator).
double next_level(double level, int ticks_per_half_distance) {
  const double halvings = std::floor(std::log2(100.0 / (100.0 - level)));
  const double half_distance = std::exp2(std::min(halvings, 62.0) + 1.0);
  return level + 100.0 / (static_cast<double>(ticks_per_half_distance) * half_distance);
}

}  // namespace

std::vector<PercentileRow> percentile_spectrum(const Histogram& h, int ticks_per_half_distance) {
  std::vector<PercentileRow> rows;
  const int64_t total = h.count();
  if (total == 0) return rows;
  ticks_per_half_distance = std::max(ticks_per_half_distance, 1);
  const auto counts = h.counts();
  double level = 0.0;
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    cumulative += counts[i];
    const int64_t value = h.highest_equivalent(h.value_from_index(i));
    const double reached = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total);
    // Several levels can fall in one bucket; each gets its row, as in HdrHistogram. Once the
    // count is exhausted only one more level row is due before the closing 100% row.
    while (reached >= level) {
      rows.push_back({value, level, cumulative});
      level = next_level(level, ticks_per_half_distance);
      if (cumulative == total) break;
    }
    if (cumulative == total) {
      rows.push_back({value, 100.0, cumulative});
      break;
    }
  }
  return rows;
}

void write_percentile_distribution(std::ostream& out, const Histogram& h,
                                   int ticks_per_half_distance, double unit_ratio) {
  const int digits = h.significant_digits();
  std::string text = fmt::format("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile",
                                 "TotalCount", "1/(1-Percentile)");
  for (const PercentileRow& row : percentile_spectrum(h, ticks_per_half_distance)) {
    const double value = static_cast<double>(row.value) / unit_ratio;
    const double fraction = row.percentile / 100.0;
    if (row.percentile < 100.0) {
      text += fmt::format("{:12.{}f} {:2.12f} {:10d} {:14.2f}\n", value, digits, fraction,
                          row.total_count, 1.0 / (1.0 - fraction));
    } else {
      text += fmt::format("{:12.{}f} {:2.12f} {:10d}\n", value, digits, fraction, row.total_count);
    }
  }
  text += fmt::format("#[Mean    = {:12.{}f}, StdDeviation   = {:12.{}f}]\n", h.mean() / unit_ratio,
                      digits, h.stddev() / unit_ratio, digits);
  text += fmt::format("#[Max     = {:12.{}f}, Total count    = {:12d}]\n",
                      static_cast<double>(h.max()) / unit_ratio, digits, h.count());
  text += fmt::format("#[Buckets = {:12d}, SubBuckets     = {:12d}]\n", h.bucket_count(),
                      h.sub_bucket_count());
  out << text;
}

}  // namespace anvil::metrics
