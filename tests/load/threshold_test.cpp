#include "anvil/load/threshold.hpp"

#include <gtest/gtest.h>

namespace anvil::load {
namespace {

TEST(Threshold, ParsesLatencyErrorsAndRps) {
  std::string error;
  auto p99 = parse_threshold("p99<200ms", error);
  ASSERT_TRUE(p99) << error;
  EXPECT_EQ(p99->metric, "p99");
  EXPECT_EQ(p99->op, "<");
  EXPECT_DOUBLE_EQ(p99->value, 200'000);  // microseconds
  auto errors = parse_threshold("errors<=1.5%", error);
  ASSERT_TRUE(errors) << error;
  EXPECT_TRUE(errors->percent);
  EXPECT_DOUBLE_EQ(errors->value, 0.015);
  auto rps = parse_threshold("rps>1000", error);
  ASSERT_TRUE(rps) << error;
  EXPECT_EQ(rps->op, ">");
  ASSERT_TRUE(parse_threshold("p99.9<1s", error));
}

TEST(Threshold, RejectsWithAReason) {
  for (const char* bad :
       {"p99", "<200ms", "p99<200", "p42<1s", "errors<150%", "rps>x", "p99<-1ms"}) {
    std::string error;
    EXPECT_FALSE(parse_threshold(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(Threshold, EvaluatesAgainstAResult) {
  LoadResult r;
  for (int i = 1; i <= 100; ++i)
    r.latency.record(i * 1000);  // 1..100 ms
  r.counters.requests = 100;
  r.counters.successes = 98;
  r.counters.errors[static_cast<size_t>(ErrorClass::timeout)] = 2;
  r.duration_s = 1;
  std::string error;
  EXPECT_TRUE(threshold_holds(*parse_threshold("p50<=51ms", error), r));
  EXPECT_FALSE(threshold_holds(*parse_threshold("p99<50ms", error), r));
  EXPECT_FALSE(threshold_holds(*parse_threshold("errors<1%", error), r));
  EXPECT_TRUE(threshold_holds(*parse_threshold("errors<3%", error), r));
  EXPECT_TRUE(threshold_holds(*parse_threshold("errors<=2", error), r));
  EXPECT_TRUE(threshold_holds(*parse_threshold("rps>97", error), r));
}

}  // namespace
}  // namespace anvil::load
