#include "anvil/metrics/histogram.hpp"

#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

namespace anvil::metrics {

namespace {

struct Layout {
  int unit_magnitude;
  int sub_bucket_half_count_magnitude;
  int sub_bucket_count;
  int bucket_count;
  size_t counts_length;
};

int floor_log2(uint64_t v) {
  return 63 - std::countl_zero(v);
}

// Bucket layout as HdrHistogram defines it: sub-buckets resolve 2 * 10^digits distinct values
// with unit precision, each further bucket doubles the value range at half the resolution.
Layout layout_for(int64_t lowest, int64_t highest, int digits) {
  Layout l{};
  l.unit_magnitude = floor_log2(static_cast<uint64_t>(lowest));
  int64_t single_unit_resolution = 2;
  for (int i = 0; i < digits; ++i)
    single_unit_resolution *= 10;
  // ceil(log2(2 * 10^digits)); never a power of two, so floor + 1.
  const int sub_bucket_count_magnitude =
      floor_log2(static_cast<uint64_t>(single_unit_resolution)) + 1;
  l.sub_bucket_half_count_magnitude =
      sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude - 1 : 0;
  l.sub_bucket_count = 1 << (l.sub_bucket_half_count_magnitude + 1);
  uint64_t smallest_untrackable = static_cast<uint64_t>(l.sub_bucket_count) << l.unit_magnitude;
  int buckets = 1;
  while (smallest_untrackable <= static_cast<uint64_t>(highest)) {
    if (smallest_untrackable > static_cast<uint64_t>(INT64_MAX) / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  l.bucket_count = buckets;
  l.counts_length = static_cast<size_t>(buckets + 1) * static_cast<size_t>(l.sub_bucket_count / 2);
  return l;
}

// ceil(p / 100 * total), at least 1, where p / 100 * total is within a few ulps of an integer
// counts as that integer: 99.9 / 100 * 1000 is 999.0000000000001 in binary floating point and
// must select rank 999, not 1000.
int64_t rank_at_percentile(double p, int64_t total) {
  if (!(p > 0.0)) p = 0.0;  // also maps NaN to 0
  if (p > 100.0) p = 100.0;
  const double x = p / 100.0 * static_cast<double>(total);
  const double nearest = std::nearbyint(x);
  double rank = std::fabs(x - nearest) <= x * 16 * DBL_EPSILON ? nearest : std::ceil(x);
  rank = std::clamp(rank, 1.0, static_cast<double>(total));
  return static_cast<int64_t>(rank);
}

}  // namespace

bool Histogram::valid_parameters(int64_t lowest, int64_t highest, int digits) noexcept {
  if (lowest < 1 || digits < 1 || digits > 5) return false;
  if (lowest > INT64_MAX / 2 || highest < 2 * lowest) return false;
  // Same bound as HdrHistogram: the largest sub-bucket value must fit in 63 bits. Checked from
  // the magnitudes alone, before layout_for() shifts by them.
  int64_t single_unit_resolution = 2;
  for (int i = 0; i < digits; ++i)
    single_unit_resolution *= 10;
  const int sub_bucket_half_count_magnitude =
      floor_log2(static_cast<uint64_t>(single_unit_resolution));
  return floor_log2(static_cast<uint64_t>(lowest)) + sub_bucket_half_count_magnitude <= 61;
}

size_t Histogram::counts_length_for(int64_t lowest, int64_t highest, int digits) noexcept {
  if (!valid_parameters(lowest, highest, digits)) return 0;
  return layout_for(lowest, highest, digits).counts_length;
}

Histogram::Histogram(int64_t lowest_discernible, int64_t highest_trackable, int significant_digits)
    : lowest_discernible_(lowest_discernible),
      highest_trackable_(highest_trackable),
      significant_digits_(significant_digits) {
  if (!valid_parameters(lowest_discernible, highest_trackable, significant_digits)) {
    throw std::invalid_argument(
        "Histogram: need lowest_discernible >= 1, highest_trackable >= 2 * lowest_discernible, "
        "significant_digits in [1, 5] (got " +
        std::to_string(lowest_discernible) + ", " + std::to_string(highest_trackable) + ", " +
        std::to_string(significant_digits) + ")");
  }
  const Layout l = layout_for(lowest_discernible, highest_trackable, significant_digits);
  unit_magnitude_ = l.unit_magnitude;
  sub_bucket_half_count_magnitude_ = l.sub_bucket_half_count_magnitude;
  sub_bucket_count_ = l.sub_bucket_count;
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = static_cast<uint64_t>(sub_bucket_count_ - 1) << unit_magnitude_;
  bucket_count_ = l.bucket_count;
  counts_.assign(l.counts_length, 0);
}

void Histogram::record_n(int64_t value, int64_t count) noexcept {
  if (count <= 0) return;
  if (value < 0) value = 0;
  if (value > highest_trackable_) {
    value = highest_trackable_;
    saturated_ += count;
  }
  counts_[index_of(value)] += count;
  total_count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

bool Histogram::same_layout(const Histogram& other) const noexcept {
  return unit_magnitude_ == other.unit_magnitude_ &&
         sub_bucket_half_count_magnitude_ == other.sub_bucket_half_count_magnitude_ &&
         bucket_count_ == other.bucket_count_ && counts_.size() == other.counts_.size();
}

void Histogram::merge(const Histogram& other) {
  if (!same_layout(other)) {
    throw std::invalid_argument("Histogram::merge: histograms have different bucket layouts");
  }
  for (size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  total_count_ += other.total_count_;
  saturated_ += other.saturated_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  saturated_ = 0;
}

void Histogram::assign_counts(std::span<const int64_t> counts) noexcept {
  reset();
  const size_t n = std::min(counts.size(), counts_.size());
  size_t first = n;
  size_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    counts_[i] = counts[i];
    if (counts[i] == 0) continue;
    total_count_ += counts[i];
    first = std::min(first, i);
    last = i;
  }
  if (total_count_ > 0) {
    min_ = value_from_index(first);
    max_ = highest_equivalent(value_from_index(last));
  }
}

int64_t Histogram::value_from_index(size_t index) const noexcept {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  int64_t sub_bucket =
      static_cast<int64_t>(index & static_cast<size_t>(sub_bucket_half_count_ - 1)) +
      sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub_bucket << (bucket + unit_magnitude_);
}

int64_t Histogram::lowest_equivalent(int64_t value) const noexcept {
  return value_from_index(index_of(value));
}

int64_t Histogram::equivalent_range(int64_t value) const noexcept {
  const int pow2_ceiling = 64 - std::countl_zero(static_cast<uint64_t>(value) | sub_bucket_mask_);
  int bucket = pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
  const int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  if (sub_bucket >= sub_bucket_count_) ++bucket;
  return int64_t{1} << (unit_magnitude_ + bucket);
}

int64_t Histogram::highest_equivalent(int64_t value) const noexcept {
  // Unsigned: the top bucket of a histogram tracking up to INT64_MAX ends exactly at 2^63 - 1.
  return static_cast<int64_t>(static_cast<uint64_t>(lowest_equivalent(value)) +
                              static_cast<uint64_t>(equivalent_range(value)) - 1);
}

int64_t Histogram::median_equivalent(int64_t value) const noexcept {
  return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

int64_t Histogram::min() const noexcept {
  return total_count_ == 0 ? 0 : lowest_equivalent(min_);
}

int64_t Histogram::max() const noexcept {
  return max_ == 0 ? 0 : highest_equivalent(max_);
}

double Histogram::mean() const noexcept {
  if (total_count_ == 0) return 0.0;
  double sum = 0.0;
  for_each_recorded([&](const Bucket& b) {
    sum += static_cast<double>(median_equivalent(b.lowest)) * static_cast<double>(b.count);
  });
  return sum / static_cast<double>(total_count_);
}

double Histogram::stddev() const noexcept {
  if (total_count_ == 0) return 0.0;
  const double m = mean();
  double sum = 0.0;
  for_each_recorded([&](const Bucket& b) {
    const double dev = static_cast<double>(median_equivalent(b.lowest)) - m;
    sum += dev * dev * static_cast<double>(b.count);
  });
  return std::sqrt(sum / static_cast<double>(total_count_));
}

int64_t Histogram::value_at_percentile(double p) const noexcept {
  int64_t out = 0;
  values_at_percentiles(std::span<const double>(&p, 1), std::span<int64_t>(&out, 1));
  return out;
}

void Histogram::values_at_percentiles(std::span<const double> ps,
                                      std::span<int64_t> out) const noexcept {
  const size_t n = std::min(ps.size(), out.size());
  size_t next = 0;
  if (total_count_ == 0 || n == 0) {
    std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), 0);
    return;
  }
  int64_t cumulative = 0;
  int64_t target = rank_at_percentile(ps[0], total_count_);
  for (size_t i = 0; i < counts_.size() && next < n; ++i) {
    cumulative += counts_[i];
    while (next < n && cumulative >= target) {
      const int64_t v = value_from_index(i);
      out[next] = ps[next] > 0.0 ? highest_equivalent(v) : lowest_equivalent(v);
      if (++next < n) target = rank_at_percentile(ps[next], total_count_);
    }
  }
}

bool operator==(const Histogram& a, const Histogram& b) noexcept {
  return a.lowest_discernible_ == b.lowest_discernible_ &&
         a.highest_trackable_ == b.highest_trackable_ &&
         a.significant_digits_ == b.significant_digits_ && a.total_count_ == b.total_count_ &&
         a.counts_ == b.counts_ && a.min() == b.min() && a.max() == b.max();
}

}  // namespace anvil::metrics
