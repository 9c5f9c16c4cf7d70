#include "anvil/metrics/percentile_distribution.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace anvil::metrics {
namespace {

Histogram one_to_ten_thousand() {
  Histogram h;
  for (int64_t v = 1; v <= 10'000; ++v)
    h.record(v);
  return h;
}

TEST(PercentileSpectrum, EmptyHistogramHasNoRows) {
  EXPECT_TRUE(percentile_spectrum(Histogram{}).empty());
}

TEST(PercentileSpectrum, TicksHalveTheDistanceTo100Percent) {
  const auto rows = percentile_spectrum(one_to_ten_thousand(), 5);
  // 5 ticks per half distance: steps of 10% up to 50%, 5% up to 75%, 2.5% up to 87.5%, ...
  const double expected_levels[] = {0,  10, 20,   30, 40,   50, 55,   60,   65,
                                    70, 75, 77.5, 80, 82.5, 85, 87.5, 88.75};
  ASSERT_GT(rows.size(), std::size(expected_levels));
  for (size_t i = 0; i < std::size(expected_levels); ++i) {
    EXPECT_DOUBLE_EQ(rows[i].percentile, expected_levels[i]) << i;
  }
  // Uniform 1..10000: level L is reached at value L * 100; values below 2048 have unit buckets,
  // 4096..8191 buckets 4 wide and 8192..16383 buckets 8 wide, so the row shows the bucket's top.
  EXPECT_EQ(rows[0].value, 1);
  EXPECT_EQ(rows[0].total_count, 1);
  EXPECT_EQ(rows[1].value, 1000);
  EXPECT_EQ(rows[1].total_count, 1000);
  EXPECT_EQ(rows[5].value, 5003);  // bucket [5000, 5003]
  EXPECT_EQ(rows[5].total_count, 5003);

  double previous_level = -1;
  int64_t previous_value = 0;
  for (const auto& row : rows) {
    EXPECT_GE(row.percentile, previous_level);
    EXPECT_GE(row.value, previous_value);
    previous_level = row.percentile;
    previous_value = row.value;
  }
  EXPECT_EQ(rows.back().percentile, 100.0);
  EXPECT_EQ(rows.back().value, 10'007);  // bucket [10000, 10007]
  EXPECT_EQ(rows.back().total_count, 10'000);
  // The row before the closing 100% row is the last level below it, at the same value.
  EXPECT_LT(rows[rows.size() - 2].percentile, 100.0);
  EXPECT_EQ(rows[rows.size() - 2].value, 10'007);
}

TEST(PercentileSpectrum, MoreTicksGiveMoreRows) {
  const Histogram h = one_to_ten_thousand();
  EXPECT_GT(percentile_spectrum(h, 10).size(), percentile_spectrum(h, 5).size());
  EXPECT_GT(percentile_spectrum(h, 5).size(), percentile_spectrum(h, 1).size());
}

TEST(PercentileSpectrum, SingleValue) {
  Histogram h;
  h.record(42);
  const auto rows = percentile_spectrum(h, 5);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].value, 42);
  EXPECT_EQ(rows[0].percentile, 0.0);
  EXPECT_EQ(rows[1].value, 42);
  EXPECT_EQ(rows[1].percentile, 100.0);
}

TEST(PercentileDistribution, TextLayoutMatchesHdrHistogram) {
  Histogram h;
  h.record(1000);  // 1 ms
  h.record(3000);  // 3 ms
  std::ostringstream out;
  write_percentile_distribution(out, h, 5, 1000.0);
  const std::string expected =
      "       Value     Percentile TotalCount 1/(1-Percentile)\n"
      "\n"
      "       1.000 0.000000000000          1           1.00\n"
      "       1.000 0.100000000000          1           1.11\n"
      "       1.000 0.200000000000          1           1.25\n"
      "       1.000 0.300000000000          1           1.43\n"
      "       1.000 0.400000000000          1           1.67\n"
      "       1.000 0.500000000000          1           2.00\n"
      "       3.001 0.550000000000          2           2.22\n"
      "       3.001 1.000000000000          2\n"
      "#[Mean    =        2.001, StdDeviation   =        1.000]\n"
      "#[Max     =        3.001, Total count    =            2]\n"
      "#[Buckets =           22, SubBuckets     =         2048]\n";
  EXPECT_EQ(out.str(), expected);
}

}  // namespace
}  // namespace anvil::metrics
