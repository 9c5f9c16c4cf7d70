#include "anvil/load/schedule.hpp"

#include <gtest/gtest.h>

#include <set>

namespace anvil::load {
namespace {

constexpr int64_t kSec = 1'000'000'000;

TEST(LoadProfile, ConstantRateIsEvenlySpaced) {
  const LoadProfile p = LoadProfile::constant(1000, 2 * kSec);
  EXPECT_EQ(p.time_of_count(0), 0);
  EXPECT_EQ(p.time_of_count(1), 1'000'000);
  EXPECT_EQ(p.time_of_count(1500), 1'500'000'000);
  EXPECT_EQ(p.time_of_count(2000), 2 * kSec);
  EXPECT_EQ(p.time_of_count(2001), -1);  // past the end
  EXPECT_DOUBLE_EQ(p.level_at(kSec / 2), 1000);
  EXPECT_DOUBLE_EQ(p.level_at(3 * kSec), 0);
}

TEST(LoadProfile, LinearRampMatchesTheIntegral) {
  // 0 -> 100 req/s over 10 s: count(t) = 5 t^2, so count 125 is reached at t = 5 s.
  const LoadProfile p(0, {Stage{10 * kSec, 100}});
  EXPECT_NEAR(static_cast<double>(p.time_of_count(125)), 5.0 * kSec, 1e3);
  EXPECT_NEAR(static_cast<double>(p.time_of_count(500)), 10.0 * kSec, 1e3);
  EXPECT_DOUBLE_EQ(p.level_at(5 * kSec), 50);
}

TEST(LoadProfile, StagesChainAndSkipIdleStretches) {
  // 10 s at 0 (nothing to send), then 10 s ramp 0 -> 100, then hold 100 for 10 s.
  const LoadProfile p(0, {Stage{10 * kSec, 0}, Stage{10 * kSec, 100}, Stage{10 * kSec, 100}});
  // In the ramp count(t) = 5 t^2, so the first request is due sqrt(0.2) s into it.
  EXPECT_NEAR(static_cast<double>(p.time_of_count(1)), 10 * kSec + 0.4472136 * kSec, 1e3);
  EXPECT_NEAR(static_cast<double>(p.time_of_count(600)), 21.0 * kSec, 1e3);
  EXPECT_EQ(p.duration_ns(), 30 * kSec);
}

TEST(RateSchedule, WorkersInterleaveIntoOneGlobalSchedule) {
  const LoadProfile p = LoadProfile::constant(3000, kSec);
  std::set<int64_t> all;
  size_t total = 0;
  for (int worker = 0; worker < 3; ++worker) {
    RateSchedule s(p, worker, 3);
    int64_t previous = -1;
    while (s.peek() >= 0) {
      EXPECT_GT(s.peek(), previous);
      previous = s.peek();
      all.insert(s.peek());
      ++total;
      s.advance();
    }
  }
  EXPECT_EQ(total, 3001u);  // counts 0..3000 inclusive fall inside [0, 1 s]
  EXPECT_EQ(all.size(), total);
  // The merged schedule is evenly spaced at 1/3000 s.
  int64_t previous = -1;
  for (int64_t t : all) {
    if (previous >= 0) {
      EXPECT_NEAR(static_cast<double>(t - previous), 1e9 / 3000, 2);
    }
    previous = t;
  }
}

}  // namespace
}  // namespace anvil::load
