#pragma once

// Small-sample statistics for benchmark trials: a handful of throughputs per configuration.
#include <span>

namespace anvil::lab {

// Each throws std::invalid_argument on an empty sample.
double median(std::span<const double> xs);
double min_of(std::span<const double> xs);
double max_of(std::span<const double> xs);
double mean(std::span<const double> xs);
// Sample standard deviation (n - 1) over the mean; 0 with fewer than two values or a zero mean.
double coefficient_of_variation(std::span<const double> xs);

struct MannWhitneyResult {
  double u = 0;        // U of the first sample: pairs (a, b) with a > b, ties counting 1/2
  double p_value = 1;  // two-sided
  bool exact = false;  // from the enumerated U distribution, not the normal approximation
};

// Mann-Whitney U test (Wilcoxon rank-sum), two-sided. Exact when both samples have at most 20
// values: the U distribution is enumerated (with ties, over all assignments of the pooled
// midranks while that is cheap). Otherwise the normal approximation with tie correction and
// continuity correction. Throws std::invalid_argument when a sample is empty.
MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

}  // namespace anvil::lab
