#include "anvil/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace anvil::metrics {
namespace {

// ---------------------------------------------------------------------------------------------
// Layout: the numbers Python `hdrh` computes for the same parameters (HdrHistogram(lo, hi, d):
// sub_bucket_count, bucket_count, counts_len), so the encodings index the same counters.

struct LayoutCase {
  const char* name;
  int64_t lowest;
  int64_t highest;
  int digits;
  int sub_bucket_count;
  int bucket_count;
  size_t counts_length;
};

class LayoutTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(LayoutTest, MatchesHdrHistogram) {
  const LayoutCase& c = GetParam();
  Histogram h(c.lowest, c.highest, c.digits);
  EXPECT_EQ(h.sub_bucket_count(), c.sub_bucket_count);
  EXPECT_EQ(h.bucket_count(), c.bucket_count);
  EXPECT_EQ(h.counts_length(), c.counts_length);
  EXPECT_EQ(Histogram::counts_length_for(c.lowest, c.highest, c.digits), c.counts_length);
}

INSTANTIATE_TEST_SUITE_P(
    Hdrh, LayoutTest,
    ::testing::Values(LayoutCase{"default_1us_1h_3d", 1, 3'600'000'000, 3, 2048, 22, 23552},
                      LayoutCase{"one_digit", 1, 3'600'000'000, 1, 32, 28, 464},
                      LayoutCase{"five_digits", 1, 3'600'000'000, 5, 262144, 15, 2097152},
                      LayoutCase{"lowest_1000", 1000, 3'600'000'000, 2, 256, 16, 2176},
                      LayoutCase{"full_int64", 1, INT64_MAX, 3, 2048, 53, 55296},
                      LayoutCase{"smallest", 1, 2, 1, 32, 1, 32}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Histogram, RejectsInvalidParameters) {
  EXPECT_THROW(Histogram(0, 100, 3), std::invalid_argument);
  EXPECT_THROW(Histogram(10, 19, 3), std::invalid_argument);
  EXPECT_THROW(Histogram(1, 100, 0), std::invalid_argument);
  EXPECT_THROW(Histogram(1, 100, 6), std::invalid_argument);
  EXPECT_THROW(Histogram(-5, 100, 3), std::invalid_argument);
  EXPECT_THROW(Histogram(int64_t{1} << 61, INT64_MAX, 5), std::invalid_argument);
  EXPECT_NO_THROW(Histogram(10, 20, 3));
}

TEST(Histogram, EquivalentRangesCoverEveryValueWithinPrecision) {
  Histogram h;
  std::mt19937_64 rng(7);
  std::vector<int64_t> probes;
  for (int64_t v = 0; v < 5000; ++v)
    probes.push_back(v);
  for (int i = 0; i < 20000; ++i)
    probes.push_back(static_cast<int64_t>(rng() % 3'600'000'001));
  for (int shift = 0; shift < 32; ++shift) {
    probes.push_back((int64_t{1} << shift) - 1);
    probes.push_back(int64_t{1} << shift);
  }
  for (int64_t v : probes) {
    const int64_t lo = h.lowest_equivalent(v);
    const int64_t hi = h.highest_equivalent(v);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    ASSERT_EQ(hi - lo + 1, h.equivalent_range(v)) << v;
    ASSERT_EQ(h.value_from_index(h.index_of(v)), lo) << v;
    // 3 significant digits: the bucket is at most 1/1000 of the value (unit buckets below 2048).
    if (v < 2048) {
      ASSERT_EQ(lo, hi) << v;
    } else {
      ASSERT_LE(static_cast<double>(hi - lo), static_cast<double>(v) / 1000.0) << v;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Percentiles against exact order statistics.

struct Percentile {
  const char* text;
  int64_t numerator;  // percentile = numerator / denominator
  int64_t denominator;
  [[nodiscard]] double value() const {
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
};

const std::vector<Percentile> kPercentiles = {
    {"0", 0, 1},     {"1", 1, 1},       {"10", 10, 1},        {"25", 25, 1},
    {"50", 50, 1},   {"75", 75, 1},     {"90", 90, 1},        {"95", 95, 1},
    {"99", 99, 1},   {"99.9", 999, 10}, {"99.99", 9999, 100}, {"99.999", 99999, 1000},
    {"100", 100, 1}, {"33.3", 333, 10}, {"66.7", 667, 10},
};

// 1-based rank of the percentile's order statistic: ceil(p / 100 * n), at least 1, in exact
// integer arithmetic.
int64_t exact_rank(const Percentile& p, int64_t n) {
  const int64_t num = p.numerator * n;
  const int64_t den = p.denominator * 100;
  return std::max<int64_t>(1, (num + den - 1) / den);
}

struct Distribution {
  const char* name;
  std::vector<int64_t> (*generate)(std::mt19937_64&, size_t);
};

std::vector<int64_t> uniform(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int64_t> d(1, 1'000'000);
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = d(rng);
  return v;
}
std::vector<int64_t> exponential_tail(std::mt19937_64& rng, size_t n) {
  std::exponential_distribution<double> d(1.0 / 2000.0);  // mean 2 ms, long tail
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = 1 + static_cast<int64_t>(d(rng));
  return v;
}
std::vector<int64_t> bimodal(std::mt19937_64& rng, size_t n) {
  std::normal_distribution<double> fast(300.0, 30.0);
  std::normal_distribution<double> slow(250'000.0, 20'000.0);
  std::bernoulli_distribution is_slow(0.05);
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = std::max<int64_t>(1, std::llround(is_slow(rng) ? slow(rng) : fast(rng)));
  return v;
}
std::vector<int64_t> log_uniform_full_range(std::mt19937_64& rng, size_t n) {
  std::uniform_real_distribution<double> d(0.0, std::log(3.6e9));
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = std::clamp<int64_t>(std::llround(std::exp(d(rng))), 1, 3'600'000'000);
  if (n >= 2) {  // both ends of the range
    v[0] = 1;
    v[1] = 3'600'000'000;
  }
  return v;
}
std::vector<int64_t> small_integers(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int64_t> d(0, 40);  // many ties, unit buckets
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = d(rng);
  return v;
}

class PercentileTest : public ::testing::TestWithParam<Distribution> {};

TEST_P(PercentileTest, MatchesExactOrderStatistics) {
  std::mt19937_64 rng(12345);
  for (size_t n : {1u, 2u, 7u, 1000u, 1001u, 100'000u}) {
    std::vector<int64_t> values = GetParam().generate(rng, n);
    Histogram h;
    for (int64_t v : values)
      h.record(v);
    std::sort(values.begin(), values.end());

    ASSERT_EQ(h.count(), static_cast<int64_t>(n));
    EXPECT_EQ(h.min(), h.lowest_equivalent(values.front()));
    EXPECT_EQ(h.max(), h.highest_equivalent(values.back()));
    EXPECT_EQ(h.saturated(), 0);

    std::vector<double> ps;
    for (const auto& p : kPercentiles)
      ps.push_back(p.value());
    std::sort(ps.begin(), ps.end());
    std::vector<int64_t> batch(ps.size());
    h.values_at_percentiles(ps, batch);

    for (const auto& p : kPercentiles) {
      const int64_t exact = values[static_cast<size_t>(exact_rank(p, static_cast<int64_t>(n)) - 1)];
      const int64_t got = h.value_at_percentile(p.value());
      const int64_t expected =
          p.numerator == 0 ? h.lowest_equivalent(exact) : h.highest_equivalent(exact);
      EXPECT_EQ(got, expected) << GetParam().name << " n=" << n << " p" << p.text;
      // Within 3 significant digits of the exact order statistic.
      EXPECT_LE(std::abs(static_cast<double>(got - exact)),
                std::max(0.0, static_cast<double>(exact) / 1000.0))
          << GetParam().name << " n=" << n << " p" << p.text;
      const auto at = std::find(ps.begin(), ps.end(), p.value()) - ps.begin();
      EXPECT_EQ(batch[static_cast<size_t>(at)], got) << "p" << p.text;
    }
    EXPECT_EQ(h.value_at_percentile(0), h.min());
    EXPECT_EQ(h.value_at_percentile(100), h.max());

    double sum = 0;
    for (int64_t v : values)
      sum += static_cast<double>(v);
    const double exact_mean = sum / static_cast<double>(n);
    double sq = 0;
    for (int64_t v : values)
      sq += (static_cast<double>(v) - exact_mean) * (static_cast<double>(v) - exact_mean);
    const double exact_stddev = std::sqrt(sq / static_cast<double>(n));
    // Bucket midpoints are within half a bucket (<= 0.05%) of each value.
    EXPECT_NEAR(h.mean(), exact_mean, exact_mean * 1e-3 + 0.5) << GetParam().name;
    EXPECT_NEAR(h.stddev(), exact_stddev, exact_mean * 1e-3 + 0.5) << GetParam().name;
  }
}

INSTANTIATE_TEST_SUITE_P(Distributions, PercentileTest,
                         ::testing::Values(Distribution{"uniform", uniform},
                                           Distribution{"exponential_tail", exponential_tail},
                                           Distribution{"bimodal", bimodal},
                                           Distribution{"log_uniform_1_to_3600s",
                                                        log_uniform_full_range},
                                           Distribution{"small_integers", small_integers}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Histogram, PercentileRankIsNotThrownOffByFloatingPoint) {
  // 99.9 / 100 * 1000 == 999.0000000000001 in doubles; the rank must still be 999.
  Histogram h;
  for (int64_t v = 1; v <= 1000; ++v)
    h.record(v);
  EXPECT_EQ(h.value_at_percentile(99.9), 999);
  EXPECT_EQ(h.value_at_percentile(99.95), 1000);
  EXPECT_EQ(h.value_at_percentile(50), 500);
  EXPECT_EQ(h.value_at_percentile(50.01), 501);
  EXPECT_EQ(h.value_at_percentile(0.1), 1);
  EXPECT_EQ(h.value_at_percentile(-3), 1);      // clamped to 0
  EXPECT_EQ(h.value_at_percentile(250), 1000);  // clamped to 100
  EXPECT_EQ(h.value_at_percentile(std::nan("")), 1);
}

TEST(Histogram, EmptyHistogramReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stddev(), 0.0);
  EXPECT_EQ(h.value_at_percentile(50), 0);
  EXPECT_EQ(h.value_at_percentile(100), 0);
}

// ---------------------------------------------------------------------------------------------
// Merge, clamp, reset, iteration.

TEST(Histogram, MergeOfPerThreadHistogramsEqualsOneHistogram) {
  std::mt19937_64 rng(99);
  const std::vector<int64_t> values = log_uniform_full_range(rng, 200'000);
  constexpr size_t kThreads = 4;
  std::vector<Histogram> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < values.size(); i += kThreads)
        per_thread[t].record(values[i]);
    });
  }
  for (auto& th : threads)
    th.join();

  Histogram all;
  for (int64_t v : values)
    all.record(v);
  Histogram merged;
  for (const auto& h : per_thread)
    merged.merge(h);

  EXPECT_TRUE(merged == all);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    EXPECT_EQ(merged.value_at_percentile(p), all.value_at_percentile(p)) << p;
  }
  // The equality is not vacuous: one more value breaks it.
  merged.record(5);
  EXPECT_FALSE(merged == all);
}

TEST(Histogram, MergeRequiresTheSameLayout) {
  Histogram a(1, 3'600'000'000, 3);
  Histogram b(1, 3'600'000'000, 2);
  Histogram c(1000, 3'600'000'000, 3);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  EXPECT_THROW(a.merge(c), std::invalid_argument);
  Histogram d(1, 3'600'000'000, 3);
  d.record(42);
  a.merge(d);
  EXPECT_EQ(a.count(), 1);
  EXPECT_EQ(a.max(), 42);
}

TEST(Histogram, ClampsNegativeAndSaturatesAboveHighest) {
  Histogram h(1, 1'000'000, 3);
  h.record(-17);
  EXPECT_EQ(h.count(), 1);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.saturated(), 0);

  h.record(5'000'000);
  h.record(INT64_MAX);
  h.record_n(2'000'000, 3);
  EXPECT_EQ(h.count(), 6);
  EXPECT_EQ(h.saturated(), 5);
  EXPECT_EQ(h.max(), h.highest_equivalent(1'000'000));
  EXPECT_EQ(h.value_at_percentile(50), h.highest_equivalent(1'000'000));

  h.record(1'000'000);  // exactly the highest: tracked, not saturated
  EXPECT_EQ(h.saturated(), 5);

  Histogram other(1, 1'000'000, 3);
  other.record(INT64_MAX);
  h.merge(other);
  EXPECT_EQ(h.saturated(), 6);
}

TEST(Histogram, RecordNCountsLikeRepeatedRecord) {
  Histogram a;
  Histogram b;
  a.record_n(1234, 5);
  a.record_n(99, 0);
  a.record_n(99, -3);
  for (int i = 0; i < 5; ++i)
    b.record(1234);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.count(), 5);
}

TEST(Histogram, ResetForgetsEverythingButKeepsLayout) {
  Histogram h(1, 1000, 2);
  for (int64_t v = 0; v < 5000; ++v)
    h.record(v);
  ASSERT_GT(h.saturated(), 0);
  h.reset();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.saturated(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.value_at_percentile(99), 0);
  EXPECT_TRUE(h == Histogram(1, 1000, 2));
  h.record(7);
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 7);
}

TEST(Histogram, RecordedBucketsAscendAndSumToCount) {
  Histogram h;
  std::mt19937_64 rng(3);
  const auto values = bimodal(rng, 10'000);
  for (int64_t v : values)
    h.record(v);
  int64_t sum = 0;
  int64_t previous_high = -1;
  size_t buckets = 0;
  h.for_each_recorded([&](const Histogram::Bucket& b) {
    EXPECT_GT(b.count, 0);
    EXPECT_GT(b.lowest, previous_high);
    EXPECT_LE(b.lowest, b.highest);
    previous_high = b.highest;
    sum += b.count;
    ++buckets;
  });
  EXPECT_EQ(sum, h.count());
  EXPECT_GT(buckets, 100u);
  EXPECT_EQ(previous_high, h.max());
}

TEST(Histogram, TracksTheFullInt64Range) {
  Histogram h(1, INT64_MAX, 3);
  h.record(INT64_MAX);
  h.record(1);
  EXPECT_EQ(h.saturated(), 0);
  EXPECT_EQ(h.max(), INT64_MAX);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.value_at_percentile(100), INT64_MAX);
  EXPECT_EQ(h.value_at_percentile(50), 1);
}

TEST(Histogram, LowestDiscernibleGroupsSmallValues) {
  Histogram h(1000, 3'600'000'000, 3);  // unit 512: values below 512 are indistinguishable
  h.record(3);
  h.record(300);
  EXPECT_EQ(h.lowest_equivalent(300), 0);
  EXPECT_EQ(h.highest_equivalent(300), 511);
  EXPECT_EQ(h.value_at_percentile(100), 511);
  EXPECT_EQ(h.max(), 511);
  EXPECT_EQ(h.min(), 0);
}

}  // namespace
}  // namespace anvil::metrics
