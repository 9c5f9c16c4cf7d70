// High-dynamic-range latency histogram with the HdrHistogram bucket layout.
//
// The layout (unit magnitude, sub-bucket count from the significant digits, power-of-two
// buckets, counts index) is exactly HdrHistogram's, so the compressed encoding in
// histogram_log.hpp reads and writes the same bytes as HdrHistogram (Java, C, Python `hdrh`)
// and a histogram logged by anvil can be plotted or merged by the standard tools.
//
// Units are the caller's: anvil records microseconds, so the defaults track 1 us .. 1 h at
// 3 significant digits (23,552 counters, 184 KiB).
//
// Memory: the counts array is allocated once, in the constructor; record() never allocates.
// Threads: a Histogram is not synchronised. Give each thread its own histogram and merge() them
// at the end (never average percentiles across threads).
//
// Value semantics follow HdrHistogram: every recorded value falls into a bucket of
// "equivalent" values whose width is at most 1 / 10^significant_digits of the value.
// min() is the lowest and max() the highest value equivalent to the smallest and largest
// recorded value, so they survive encoding and merging unchanged.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anvil::metrics {

class Histogram {
 public:
  // lowest_discernible >= 1 (rounded down to a power of two for the layout),
  // highest_trackable >= 2 * lowest_discernible, significant_digits in [1, 5]
  // (the ranges HdrHistogram_c and `hdrh` accept). Throws std::invalid_argument otherwise.
  explicit Histogram(int64_t lowest_discernible = 1, int64_t highest_trackable = 3'600'000'000,
                     int significant_digits = 3);

  // True if the constructor would accept these parameters. Lets decoders reject hostile
  // headers without exceptions.
  [[nodiscard]] static bool valid_parameters(int64_t lowest_discernible, int64_t highest_trackable,
                                             int significant_digits) noexcept;
  // Number of counters a histogram with these parameters allocates; 0 if they are invalid.
  [[nodiscard]] static size_t counts_length_for(int64_t lowest_discernible,
                                                int64_t highest_trackable,
                                                int significant_digits) noexcept;

  // Hot path. Negative values are recorded as 0; values above highest_trackable() are
  // recorded as highest_trackable() and counted in saturated().
  void record(int64_t value) noexcept {
    if (value < 0) [[unlikely]] {
      value = 0;
    }
    if (value > highest_trackable_) [[unlikely]] {
      value = highest_trackable_;
      ++saturated_;
    }
    ++counts_[index_of(value)];
    ++total_count_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  // Records `count` occurrences of `value` (same clamping; saturated() grows by `count`).
  // count <= 0 records nothing.
  void record_n(int64_t value, int64_t count) noexcept;

  // Adds `other`'s counts. Requires the same bucket layout (same_layout(): same unit magnitude,
  // sub-bucket and bucket counts, as histograms built with equal parameters have); throws
  // std::invalid_argument otherwise. saturated() counts add up too.
  void merge(const Histogram& other);
  // Forgets every recorded value; keeps the allocation.
  void reset() noexcept;

  [[nodiscard]] int64_t count() const noexcept { return total_count_; }
  // Lowest value equivalent to the smallest recorded value; 0 when empty.
  [[nodiscard]] int64_t min() const noexcept;
  // Highest value equivalent to the largest recorded value; 0 when empty.
  [[nodiscard]] int64_t max() const noexcept;
  // Mean and standard deviation over bucket midpoints (HdrHistogram's definition); 0 when empty.
  [[nodiscard]] double mean() const noexcept;
  [[nodiscard]] double stddev() const noexcept;

  // p in [0, 100] (clamped). Highest value equivalent to the bucket where the cumulative count
  // first reaches ceil(p / 100 * count()), at least 1; p = 0 gives min(), p = 100 gives max().
  // 0 when empty. O(counts length).
  [[nodiscard]] int64_t value_at_percentile(double p) const noexcept;
  // Several percentiles in one pass: out[i] = value_at_percentile(ps[i]). ps must be ascending.
  void values_at_percentiles(std::span<const double> ps, std::span<int64_t> out) const noexcept;

  [[nodiscard]] int64_t lowest_discernible() const noexcept { return lowest_discernible_; }
  [[nodiscard]] int64_t highest_trackable() const noexcept { return highest_trackable_; }
  [[nodiscard]] int significant_digits() const noexcept { return significant_digits_; }
  // Number of values clamped to highest_trackable(). Not part of the encoding.
  [[nodiscard]] int64_t saturated() const noexcept { return saturated_; }

  // Layout, for report writers and the codec.
  [[nodiscard]] int bucket_count() const noexcept { return bucket_count_; }
  [[nodiscard]] int sub_bucket_count() const noexcept { return sub_bucket_count_; }
  [[nodiscard]] size_t counts_length() const noexcept { return counts_.size(); }
  [[nodiscard]] std::span<const int64_t> counts() const noexcept { return counts_; }
  [[nodiscard]] bool same_layout(const Histogram& other) const noexcept;

  // Equivalent-value arithmetic (HdrHistogram definitions).
  [[nodiscard]] size_t index_of(int64_t value) const noexcept {
    const int pow2_ceiling = 64 - std::countl_zero(static_cast<uint64_t>(value) | sub_bucket_mask_);
    const int bucket = pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
    const int64_t sub_bucket = value >> (bucket + unit_magnitude_);
    return static_cast<size_t>(
        (static_cast<int64_t>(bucket + 1) << sub_bucket_half_count_magnitude_) + sub_bucket -
        sub_bucket_half_count_);
  }
  [[nodiscard]] int64_t value_from_index(size_t index) const noexcept;
  [[nodiscard]] int64_t lowest_equivalent(int64_t value) const noexcept;
  [[nodiscard]] int64_t highest_equivalent(int64_t value) const noexcept;
  [[nodiscard]] int64_t equivalent_range(int64_t value) const noexcept;
  [[nodiscard]] int64_t median_equivalent(int64_t value) const noexcept;

  // One non-empty bucket: the values [lowest, highest] were recorded `count` times.
  struct Bucket {
    int64_t lowest;
    int64_t highest;
    int64_t count;
  };
  // Calls f(Bucket) for every non-empty bucket in ascending value order.
  template <typename F>
  void for_each_recorded(F&& f) const {
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] == 0) continue;
      const int64_t v = value_from_index(i);
      f(Bucket{v, highest_equivalent(v), counts_[i]});
    }
  }

  // Same layout and the same counts (hence the same count, min, max and percentiles).
  // saturated() is not compared: it is bookkeeping, not data, and is not encoded.
  friend bool operator==(const Histogram& a, const Histogram& b) noexcept;

  // Codec support: overwrites the counts (size counts_length()) and recomputes count, min and
  // max from them. The caller guarantees non-negative counts whose sum fits in int64_t.
  void assign_counts(std::span<const int64_t> counts) noexcept;

 private:
  int64_t lowest_discernible_;
  int64_t highest_trackable_;
  int significant_digits_;
  int unit_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  int sub_bucket_count_ = 0;
  int64_t sub_bucket_half_count_ = 0;
  uint64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;

  std::vector<int64_t> counts_;
  int64_t total_count_ = 0;
  int64_t min_ = INT64_MAX;  // smallest recorded (clamped) value; INT64_MAX when empty
  int64_t max_ = 0;          // largest recorded (clamped) value
  int64_t saturated_ = 0;
};

}  // namespace anvil::metrics
