// The "Detailed Percentile spectrum" table of wrk2 --latency / HdrHistogram's
// outputPercentileDistribution, in the same text layout so existing plotting tools
// (HdrHistogram's plotFiles.html) read it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "anvil/metrics/histogram.hpp"

namespace anvil::metrics {

// One row of the spectrum: the highest value equivalent to the bucket where the cumulative
// percentile first reached `percentile` (0..100), and the count up to and including it.
struct PercentileRow {
  int64_t value;
  double percentile;
  int64_t total_count;
};

// HdrHistogram's percentile iteration: reporting ticks start at 0% and halve their distance to
// 100% every `ticks_per_half_distance` rows (50%, 75%, 87.5%, ... with finer steps between),
// ending with a row at exactly 100%. Empty histogram: no rows. ticks_per_half_distance >= 1.
[[nodiscard]] std::vector<PercentileRow> percentile_spectrum(const Histogram& h,
                                                             int ticks_per_half_distance = 5);

// Writes the table, then the Mean/StdDeviation, Max/Total count and Buckets/SubBuckets footer.
// Values are divided by unit_ratio (default 1000: microseconds shown as milliseconds) and shown
// with significant_digits() decimals.
void write_percentile_distribution(std::ostream& out, const Histogram& h,
                                   int ticks_per_half_distance = 5, double unit_ratio = 1000.0);

}  // namespace anvil::metrics
