#include "anvil/load/schedule.hpp"

#include <cmath>

namespace anvil::load {

LoadProfile::LoadProfile(double initial, std::vector<Stage> stages) {
  double level = initial;
  double count = 0;
  for (const Stage& stage : stages) {
    segments_.push_back({total_ns_, stage.duration_ns, level, stage.target, count});
    count += (level + stage.target) / 2 * (static_cast<double>(stage.duration_ns) / 1e9);
    total_ns_ += stage.duration_ns;
    level = stage.target;
  }
}

LoadProfile LoadProfile::constant(double level, int64_t duration_ns) {
  return LoadProfile(level, {Stage{duration_ns, level}});
}

double LoadProfile::level_at(int64_t t_ns) const noexcept {
  for (const Segment& s : segments_) {
    if (t_ns < s.start_ns + s.duration_ns) {
      const double f = static_cast<double>(t_ns - s.start_ns) / static_cast<double>(s.duration_ns);
      return s.from + (s.to - s.from) * f;
    }
  }
  return 0;
}

int64_t LoadProfile::time_of_count(double count) const noexcept {
  for (const Segment& s : segments_) {
    const double seconds = static_cast<double>(s.duration_ns) / 1e9;
    const double in_segment = (s.from + s.to) / 2 * seconds;
    const double need = count - s.count_before;
    if (need > in_segment || in_segment <= 0) continue;
    // level(t) = from + slope t; count(t) = from t + slope t^2 / 2; solve count(t) = need.
    const double slope = (s.to - s.from) / seconds;
    double t = 0;
    if (std::fabs(slope) < 1e-12) {
      t = need / s.from;
    } else {
      const double disc = s.from * s.from + 2 * slope * need;
      t = (-s.from + std::sqrt(disc > 0 ? disc : 0)) / slope;
    }
    if (t < 0) t = 0;
    if (t > seconds) t = seconds;
    return s.start_ns + static_cast<int64_t>(t * 1e9);
  }
  return -1;
}

RateSchedule::RateSchedule(const LoadProfile& profile, int worker_index, int worker_count)
    : profile_(&profile),
      global_index_(static_cast<uint64_t>(worker_index)),
      stride_(worker_count),
      next_ns_(profile.time_of_count(static_cast<double>(worker_index))) {}

void RateSchedule::advance() noexcept {
  if (next_ns_ < 0) return;
  global_index_ += static_cast<uint64_t>(stride_);
  next_ns_ = profile_->time_of_count(static_cast<double>(global_index_));
}

}  // namespace anvil::load
