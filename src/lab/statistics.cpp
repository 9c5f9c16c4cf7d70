#include "anvil/lab/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace anvil::lab {
namespace {

void require_values(std::span<const double> xs, const char* what) {
  if (xs.empty()) throw std::invalid_argument(std::string(what) + " of an empty sample");
}

constexpr size_t kExactMaxPerSide = 20;
// Subsets of the pooled sample enumerated at most for the exact test with ties.
constexpr double kMaxTiedEnumeration = 2e5;

double binomial(size_t n, size_t k) {
  double r = 1;
  for (size_t i = 1; i <= k; ++i)
    r = r * static_cast<double>(n - k + i) / static_cast<double>(i);
  return r;
}

// Counts of arrangements with each U (0 .. m*n) for two samples without ties:
// f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u), built up one sample size at a time.
std::vector<double> u_distribution(size_t m, size_t n) {
  // table[j] holds the distribution for sizes (i, j) as i grows.
  std::vector<std::vector<double>> row(n + 1);
  for (size_t j = 0; j <= n; ++j)
    row[j] = {1.0};  // i = 0: one arrangement, U = 0
  for (size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> next(n + 1);
    next[0] = {1.0};
    for (size_t j = 1; j <= n; ++j) {
      std::vector<double> d(i * j + 1, 0.0);
      // The largest value is from the first sample (it beats all j of the second)...
      for (size_t u = 0; u < row[j].size(); ++u)
        d[u + j] += row[j][u];
      // ... or from the second sample (it adds nothing to U).
      for (size_t u = 0; u < next[j - 1].size(); ++u)
        d[u] += next[j - 1][u];
      next[j] = std::move(d);
    }
    row = std::move(next);
  }
  return row[n];
}

// Exact two-sided p with ties: every way of choosing which m of the pooled midranks belong to
// the first sample is equally likely under the null hypothesis. Works on doubled ranks so
// sums stay integers.
double tied_exact_p(const std::vector<int64_t>& doubled_ranks, size_t m, int64_t observed_2r) {
  const size_t total = doubled_ranks.size();
  double below_or_equal = 0, above_or_equal = 0, count = 0;
  std::vector<bool> pick(total, false);
  std::fill(pick.begin(), pick.begin() + static_cast<std::ptrdiff_t>(m), true);
  do {
    int64_t sum = 0;
    for (size_t i = 0; i < total; ++i)
      if (pick[i]) sum += doubled_ranks[i];
    count += 1;
    if (sum <= observed_2r) below_or_equal += 1;
    if (sum >= observed_2r) above_or_equal += 1;
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return std::min(1.0, 2 * std::min(below_or_equal, above_or_equal) / count);
}

}  // namespace

double median(std::span<const double> xs) {
  require_values(xs, "median");
  std::vector<double> v(xs.begin(), xs.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double min_of(std::span<const double> xs) {
  require_values(xs, "minimum");
  return *std::min_element(xs.begin(), xs.end());
}

double max_of(std::span<const double> xs) {
  require_values(xs, "maximum");
  return *std::max_element(xs.begin(), xs.end());
}

double mean(std::span<const double> xs) {
  require_values(xs, "mean");
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double coefficient_of_variation(std::span<const double> xs) {
  require_values(xs, "coefficient of variation");
  if (xs.size() < 2) return 0;
  const double m = mean(xs);
  if (m == 0) return 0;
  double squares = 0;
  for (double x : xs)
    squares += (x - m) * (x - m);
  return std::sqrt(squares / static_cast<double>(xs.size() - 1)) / std::abs(m);
}

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("Mann-Whitney U of an empty sample");
  const size_t m = a.size(), n = b.size(), total = m + n;

  // Pooled midranks, doubled: a tie group over positions [i, j) gets rank (i + 1 + j) / 2.
  std::vector<std::pair<double, size_t>> pooled;  // value, index (< m: first sample)
  for (size_t i = 0; i < m; ++i)
    pooled.emplace_back(a[i], i);
  for (size_t i = 0; i < n; ++i)
    pooled.emplace_back(b[i], m + i);
  std::sort(pooled.begin(), pooled.end());
  std::vector<int64_t> doubled_rank(total);
  bool ties = false;
  double tie_term = 0;  // sum of t^3 - t over tie groups
  for (size_t i = 0; i < total;) {
    size_t j = i + 1;
    while (j < total && pooled[j].first == pooled[i].first)
      ++j;
    const auto t = static_cast<double>(j - i);
    if (j - i > 1) ties = true;
    tie_term += t * t * t - t;
    for (size_t k = i; k < j; ++k)
      doubled_rank[pooled[k].second] = static_cast<int64_t>(i + 1 + j);
    i = j;
  }
  int64_t doubled_rank_sum_a = 0;
  for (size_t i = 0; i < m; ++i)
    doubled_rank_sum_a += doubled_rank[i];
  const auto md = static_cast<double>(m), nd = static_cast<double>(n);
  MannWhitneyResult r;
  r.u = static_cast<double>(doubled_rank_sum_a) / 2 - md * (md + 1) / 2;

  if (m <= kExactMaxPerSide && n <= kExactMaxPerSide) {
    if (!ties) {
      const std::vector<double> dist = u_distribution(m, n);
      const auto u = static_cast<size_t>(std::llround(r.u));
      const double all = std::accumulate(dist.begin(), dist.end(), 0.0);
      const double lower =
          std::accumulate(dist.begin(), dist.begin() + static_cast<long>(u) + 1, 0.0);
      const double upper = std::accumulate(dist.begin() + static_cast<long>(u), dist.end(), 0.0);
      r.p_value = std::min(1.0, 2 * std::min(lower, upper) / all);
      r.exact = true;
      return r;
    }
    if (binomial(total, m) <= kMaxTiedEnumeration) {
      r.p_value = tied_exact_p(doubled_rank, m, doubled_rank_sum_a);
      r.exact = true;
      return r;
    }
  }

  const double mu = md * nd / 2;
  const double nt = md + nd;
  const double variance = md * nd / 12 * ((nt + 1) - tie_term / (nt * (nt - 1)));
  if (variance <= 0) {  // every value equal: no evidence of a difference
    r.p_value = 1;
    return r;
  }
  const double z = std::max(0.0, std::abs(r.u - mu) - 0.5) / std::sqrt(variance);
  r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

}  // namespace anvil::lab
