#pragma once

#include <cstdint>
#include <vector>

#include "anvil/load/options.hpp"

namespace anvil::load {

// A piecewise-linear load profile over time: requests/s in rate mode, active users in users
// mode. Each stage moves linearly from the previous target (the first starts at
// `initial`) to its own target over its duration, as k6 stages do.
class LoadProfile {
 public:
  LoadProfile(double initial, std::vector<Stage> stages);
  // A constant level for the whole duration.
  static LoadProfile constant(double level, int64_t duration_ns);

  int64_t duration_ns() const noexcept { return total_ns_; }
  double level_at(int64_t t_ns) const noexcept;  // 0 after the end

  // The time at which the cumulative count (integral of the level, in level*seconds) reaches
  // `count`, or -1 when the profile ends first. Exact for linear ramps (a quadratic per stage),
  // so a ramped rate schedule has no drift however long it runs.
  int64_t time_of_count(double count) const noexcept;

 private:
  struct Segment {
    int64_t start_ns;
    int64_t duration_ns;
    double from;
    double to;
    double count_before;  // integral up to start_ns
  };
  std::vector<Segment> segments_;
  int64_t total_ns_ = 0;
};

// The intended send times of one worker's share of a rate schedule: the global stream of
// requests j = 0, 1, 2, ... is due when the profile's cumulative count reaches j; worker i of
// T takes j = i, i+T, i+2T, ... so the workers interleave into one exact global schedule.
class RateSchedule {
 public:
  RateSchedule(const LoadProfile& profile, int worker_index, int worker_count);

  // Intended time (ns from the schedule's origin) of the next request, or -1 when done.
  int64_t peek() const noexcept { return next_ns_; }
  void advance() noexcept;

 private:
  const LoadProfile* profile_;
  uint64_t global_index_;
  int stride_;
  int64_t next_ns_;
};

}  // namespace anvil::load
