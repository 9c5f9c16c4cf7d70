#include "anvil/lab/plan.hpp"

#include <gtest/gtest.h>

#include <set>

namespace anvil::lab {
namespace {

const char* kSuite = R"(
[suite]
trials = 2
duration = "10s"
warmup = "2s"
quick_scale = 0.1
drivers = ["anvil", "w"]

[[driver]]
name = "w"
kind = "wrk"

[[target]]
name = "a"
command = ["a", "-w", "{workers}"]
params = { workers = 2 }

[[target]]
name = "b"
command = ["b"]

[[scenario]]
kind = "concurrency"
connections = [10, 50]

[[scenario]]
kind = "low_load"
duration = "4s"

[[sweep]]
param = "workers"
values = [1, 4]
)";

TEST(Plan, ExpandsTrialsTargetsSweepsScenariosAndDrivers) {
  const Suite suite = parse_suite(kSuite, "/tmp/p.toml");
  const auto runs = plan_runs(suite, {});
  // a: 2 sweep values x (2 + 1 scenario points) x 2 drivers; b: 3 x 2; then x 2 trials.
  EXPECT_EQ(runs.size(), (2u * 3 * 2 + 3 * 2) * 2);
  std::set<std::string> keys;
  for (const auto& r : runs) {
    keys.insert(r.key.target + "|" + r.key.scenario + "|" + r.key.params + "|" + r.key.driver +
                "|" + std::to_string(r.key.trial));
  }
  EXPECT_EQ(keys.size(), runs.size()) << "every run key is unique";
  EXPECT_TRUE(keys.count("a|concurrency|c=50,workers=4|w|2"));
  EXPECT_TRUE(keys.count("a|low_load|workers=1|anvil|1"));
  EXPECT_TRUE(keys.count("b|concurrency|c=10|anvil|1"));
  EXPECT_TRUE(keys.count("b|low_load||w|2"));
  // Trials are the outer loop: every run of trial 1 comes before any of trial 2.
  bool seen_two = false;
  for (const auto& r : runs) {
    if (r.key.trial == 2) seen_two = true;
    if (seen_two) {
      EXPECT_EQ(r.key.trial, 2);
    }
  }
  for (const auto& r : runs) {
    if (r.key.target == "a") {
      EXPECT_EQ(r.params.count("workers"), 1u);
    }
    EXPECT_DOUBLE_EQ(r.duration_s, r.scenario->kind == ScenarioKind::low_load ? 4 : 10);
    EXPECT_DOUBLE_EQ(r.warmup_s, 2);
  }
}

TEST(Plan, QuickScalesDurationsAndRunsOneTrial) {
  const Suite suite = parse_suite(kSuite, "/tmp/p.toml");
  PlanOptions options;
  options.quick = true;
  const auto runs = plan_runs(suite, options);
  EXPECT_EQ(runs.size(), 2u * 3 * 2 + 3 * 2);
  for (const auto& r : runs) {
    EXPECT_EQ(r.key.trial, 1);
    EXPECT_NEAR(r.warmup_s, 0.2, 1e-9);
    EXPECT_NEAR(r.duration_s, r.scenario->kind == ScenarioKind::low_load ? 0.4 : 1.0, 1e-9);
  }
}

TEST(Plan, OnlySelectsATargetAndScenario) {
  const Suite suite = parse_suite(kSuite, "/tmp/p.toml");
  PlanOptions options;
  options.only_target = "b";
  options.only_scenario = "low_load";
  const auto runs = plan_runs(suite, options);
  ASSERT_EQ(runs.size(), 2u * 2);
  for (const auto& r : runs) {
    EXPECT_EQ(r.key.target, "b");
    EXPECT_EQ(r.key.scenario, "low_load");
  }
  options.only_target = "c";
  EXPECT_THROW(plan_runs(suite, options), SuiteError);
  options.only_target = "a";
  options.only_scenario = "stress";
  EXPECT_THROW(plan_runs(suite, options), SuiteError);
}

TEST(Plan, CanonicalParamsAreSortedByName) {
  EXPECT_EQ(canonical_params({{"workers", "4"}, {"c", "10"}}), "c=10,workers=4");
  EXPECT_EQ(canonical_params({}), "");
}

}  // namespace
}  // namespace anvil::lab
