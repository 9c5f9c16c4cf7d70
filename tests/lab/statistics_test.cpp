#include "anvil/lab/statistics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace anvil::lab {
namespace {

TEST(Statistics, MedianMinMaxMean) {
  const std::vector<double> odd{5, 1, 3};
  const std::vector<double> even{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(median(odd), 3);
  EXPECT_DOUBLE_EQ(median(even), 2.5);
  EXPECT_DOUBLE_EQ(min_of(even), 1);
  EXPECT_DOUBLE_EQ(max_of(even), 4);
  EXPECT_DOUBLE_EQ(mean(even), 2.5);
}

TEST(Statistics, CoefficientOfVariationUsesSampleStandardDeviation) {
  const std::vector<double> xs{90, 100, 110};  // sd = 10 (n - 1), mean 100
  EXPECT_NEAR(coefficient_of_variation(xs), 0.10, 1e-12);
  const std::vector<double> one{42};
  EXPECT_EQ(coefficient_of_variation(one), 0);
  const std::vector<double> zeros{0, 0};
  EXPECT_EQ(coefficient_of_variation(zeros), 0);
}

TEST(Statistics, EmptySamplesAreRejected) {
  const std::vector<double> none;
  const std::vector<double> some{1};
  EXPECT_THROW((void)median(none), std::invalid_argument);
  EXPECT_THROW((void)mean(none), std::invalid_argument);
  EXPECT_THROW((void)coefficient_of_variation(none), std::invalid_argument);
  EXPECT_THROW((void)mann_whitney_u(none, some), std::invalid_argument);
  EXPECT_THROW((void)mann_whitney_u(some, none), std::invalid_argument);
}

// Textbook and SciPy (method="exact") values.
TEST(MannWhitney, TextbookExactValues) {
  struct Case {
    const char* name;
    std::vector<double> a, b;
    double u, p;
  };
  const std::vector<Case> cases{
      {"3 vs 3 separated", {1, 2, 3}, {4, 5, 6}, 0, 2.0 / 20},
      {"4 vs 4 separated", {5, 6, 7, 8}, {1, 2, 3, 4}, 16, 2.0 / 70},
      {"5 vs 5 separated", {1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, 0, 2.0 / 252},
      {"scipy docs example", {19, 22, 16, 29, 24}, {20, 11, 17, 12}, 17, 0.1111111111111111},
      {"identical", {1, 2, 3}, {1, 2, 3}, 4.5, 1.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const MannWhitneyResult r = mann_whitney_u(c.a, c.b);
    EXPECT_DOUBLE_EQ(r.u, c.u);
    EXPECT_NEAR(r.p_value, c.p, 1e-12);
    EXPECT_TRUE(r.exact);
  }
}

// Independent oracle: U by counting pairs, p by enumerating every split of the pooled sample.
double brute_force_p(const std::vector<double>& a, const std::vector<double>& b) {
  auto u_of = [](const std::vector<double>& x, const std::vector<double>& y) {
    double u = 0;
    for (double xi : x)
      for (double yi : y)
        u += xi > yi ? 1.0 : (xi == yi ? 0.5 : 0.0);
    return u;
  };
  const double observed = u_of(a, b);
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  const size_t total = pooled.size();
  double below = 0, above = 0, count = 0;
  for (uint32_t mask = 0; mask < (1u << total); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != a.size()) continue;
    std::vector<double> x, y;
    for (size_t i = 0; i < total; ++i)
      ((mask >> i) & 1u ? x : y).push_back(pooled[i]);
    const double u = u_of(x, y);
    count += 1;
    if (u <= observed + 1e-9) below += 1;
    if (u >= observed - 1e-9) above += 1;
  }
  return std::min(1.0, 2 * std::min(below, above) / count);
}

TEST(MannWhitney, MatchesBruteForcePermutationTestWithAndWithoutTies) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const size_t m = 1 + rng() % 7, n = 1 + rng() % 7;
    // Half the rounds draw from few values, so ties are common.
    const int spread = round % 2 == 0 ? 4 : 1000;
    const int shift = static_cast<int>(rng() % 3);
    std::vector<double> a(m), b(n);
    for (double& x : a)
      x = static_cast<double>(rng() % static_cast<unsigned>(spread) + static_cast<unsigned>(shift));
    for (double& x : b)
      x = static_cast<double>(rng() % static_cast<unsigned>(spread));
    SCOPED_TRACE(::testing::Message() << "round " << round << " m=" << m << " n=" << n);
    const MannWhitneyResult r = mann_whitney_u(a, b);
    EXPECT_TRUE(r.exact);
    EXPECT_NEAR(r.p_value, brute_force_p(a, b), 1e-9);
  }
}

// Exact tail counts by memoized recursion on (i, j, u), written independently of the library.
double exact_no_ties_p(size_t m, size_t n, double u_observed) {
  std::map<std::tuple<size_t, size_t, long>, double> memo;
  std::function<double(size_t, size_t, long)> ways = [&](size_t i, size_t j, long u) -> double {
    if (u < 0) return 0;
    if (i == 0 || j == 0) return u == 0 ? 1 : 0;
    const auto k = std::make_tuple(i, j, u);
    if (auto it = memo.find(k); it != memo.end()) return it->second;
    const double v = ways(i - 1, j, u - static_cast<long>(j)) + ways(i, j - 1, u);
    memo[k] = v;
    return v;
  };
  double below = 0, all = 0;
  for (long u = 0; u <= static_cast<long>(m * n); ++u) {
    const double w = ways(m, n, u);
    all += w;
    if (u <= static_cast<long>(u_observed)) below += w;
  }
  return std::min(
      1.0, 2 * std::min(below, all - below + ways(m, n, static_cast<long>(u_observed))) / all);
}

TEST(MannWhitney, NormalApproximationAboveTwentyIsCloseToExact) {
  std::vector<double> a, b;
  for (int i = 0; i < 25; ++i) {
    a.push_back(i * 2.0);      // 0, 2, ..., 48
    b.push_back(i * 2.0 + 9);  // 9, 11, ..., 57: shifted, no ties
  }
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  const double exact = exact_no_ties_p(25, 25, r.u);
  EXPECT_LT(exact, 0.05);
  EXPECT_NEAR(r.p_value, exact, 0.005);
}

TEST(MannWhitney, NormalApproximationCorrectsForTies) {
  // 30 vs 30 values from {1, 2, 3}: heavy ties (tie groups of 10, 20 and 30). Reference worked
  // by hand from the textbook formula: U = 250, sigma^2 = mn/12 ((N + 1) - sum(t^3 - t) /
  // (N (N - 1))) = 3813.56, z = (|250 - 450| - 0.5) / sigma, p = erfc(z / sqrt 2).
  std::vector<double> a, b;
  for (int i = 0; i < 30; ++i) {
    a.push_back(1 + i % 3);
    b.push_back(1 + (i % 3 == 0 ? 1 : 2));
  }
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 250);
  EXPECT_NEAR(r.p_value, 0.001235484995994284, 1e-12);
  // Every value the same: no difference at all.
  const std::vector<double> same(30, 7.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(same, same).p_value, 1.0);
}

TEST(MannWhitney, SymmetricInItsSamples) {
  const std::vector<double> a{10, 12, 13, 15, 18}, b{9, 11, 11, 14};
  const MannWhitneyResult ab = mann_whitney_u(a, b), ba = mann_whitney_u(b, a);
  EXPECT_DOUBLE_EQ(ab.u + ba.u, 20);
  EXPECT_NEAR(ab.p_value, ba.p_value, 1e-12);
}

}  // namespace
}  // namespace anvil::lab
