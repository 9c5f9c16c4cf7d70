#include "anvil/lab/compare.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace anvil::lab {
namespace {

ResultRow row(const std::string& target, std::vector<double> trial_rps, double p99_us) {
  ResultRow r;
  r.target = target;
  r.scenario = "single";
  r.driver = "anvil";
  r.trial_rps = std::move(trial_rps);
  r.trials = r.ok_trials = static_cast<int>(r.trial_rps.size());
  double sum = 0;
  for (double x : r.trial_rps)
    sum += x;
  std::vector<double> sorted = r.trial_rps;
  std::sort(sorted.begin(), sorted.end());
  r.rps_median = sorted[sorted.size() / 2];
  r.p99_us = p99_us;
  return r;
}

TEST(Compare, ClearSlowdownIsSignificantAndBeyondThreshold) {
  const std::vector<ResultRow> a{row("go", {1000, 1010, 990, 1005, 995}, 2000)};
  const std::vector<ResultRow> b{row("go", {800, 810, 790, 805, 795}, 2100)};
  const Comparison c = compare_rows(a, b);
  ASSERT_EQ(c.rows.size(), 1u);
  const CompareRow& r = c.rows[0];
  EXPECT_EQ(r.verdict, Verdict::significant);
  EXPECT_NEAR(*r.rps_change, -0.2, 1e-12);
  EXPECT_NEAR(*r.p99_change, 0.05, 1e-12);
  EXPECT_NEAR(*r.p_value, 2.0 / 252, 1e-12);
  EXPECT_TRUE(r.regressed_beyond(0.05));
  EXPECT_TRUE(r.regressed_beyond(0.19));
  EXPECT_FALSE(r.regressed_beyond(0.25));
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Compare, FasterIsSignificantButNotARegression) {
  const std::vector<ResultRow> a{row("go", {800, 810, 790, 805, 795}, 2000)};
  const std::vector<ResultRow> b{row("go", {1000, 1010, 990, 1005, 995}, 1500)};
  const CompareRow r = compare_rows(a, b).rows[0];
  EXPECT_EQ(r.verdict, Verdict::significant);
  EXPECT_FALSE(r.regressed_beyond(0.01));
}

TEST(Compare, OverlappingTrialsAreWithinNoise) {
  const std::vector<ResultRow> a{row("go", {1000, 900, 1100, 950, 1050}, 2000)};
  const std::vector<ResultRow> b{row("go", {980, 1080, 880, 1020, 940}, 2500)};
  const CompareRow r = compare_rows(a, b).rows[0];
  EXPECT_EQ(r.verdict, Verdict::within_noise);
  EXPECT_GT(*r.p_value, 0.05);
  EXPECT_FALSE(r.regressed_beyond(0.05));  // p99 up 25%, but not significantly
}

TEST(Compare, TooFewTrialsIsNeverSignificantAndWarns) {
  const std::vector<ResultRow> a{row("go", {1000, 1001}, 2000)};
  const std::vector<ResultRow> b{row("go", {500, 501}, 4000)};
  const Comparison c = compare_rows(a, b);
  EXPECT_EQ(c.rows[0].verdict, Verdict::too_few_trials);
  EXPECT_FALSE(c.rows[0].p_value);
  EXPECT_FALSE(c.rows[0].regressed_beyond(0.05));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("2 vs 2 trials"), std::string::npos) << c.warnings[0];

  // Three or four a side: compared, but still warned about.
  const Comparison four = compare_rows({row("go", {1, 2, 3, 4}, 1)}, {row("go", {5, 6, 7, 8}, 1)});
  EXPECT_EQ(four.rows[0].verdict, Verdict::significant);
  EXPECT_EQ(four.warnings.size(), 1u);
}

TEST(Compare, RowsOnlyOnOneSideAreListed) {
  const std::vector<ResultRow> a{row("go", {1, 2, 3}, 1), row("flask", {1, 2, 3}, 1)};
  const std::vector<ResultRow> b{row("go", {1, 2, 3}, 1), row("nginx", {1, 2, 3}, 1)};
  const Comparison c = compare_rows(a, b);
  ASSERT_EQ(c.rows.size(), 3u);
  EXPECT_EQ(c.rows[0].target, "go");
  EXPECT_EQ(c.rows[1].target, "flask");
  EXPECT_EQ(c.rows[1].verdict, Verdict::only_in_a);
  EXPECT_EQ(c.rows[2].target, "nginx");
  EXPECT_EQ(c.rows[2].verdict, Verdict::only_in_b);
  EXPECT_FALSE(c.rows[2].rps_change);
}

TEST(Compare, ParamsAndDriverArePartOfTheMatch) {
  ResultRow a = row("go", {1, 2, 3}, 1), b = row("go", {1, 2, 3}, 1);
  b.driver = "locust";
  EXPECT_EQ(compare_rows({a}, {b}).rows.size(), 2u);
  b.driver = a.driver;
  b.params = "workers=4";
  EXPECT_EQ(compare_rows({a}, {b}).rows.size(), 2u);
}

TEST(Compare, JsonAndCsvCarryTheVerdicts) {
  const Comparison c = compare_rows({row("go", {1000, 1010, 990, 1005, 995}, 2000)},
                                    {row("go", {800, 810, 790, 805, 795}, 2000)});
  const auto j = nlohmann::json::parse(format_comparison(c, ReportFormat::json));
  EXPECT_EQ(j["rows"][0]["verdict"], "significant");
  EXPECT_NEAR(j["rows"][0]["rps_change"].get<double>(), -0.2, 1e-12);
  EXPECT_DOUBLE_EQ(j["rows"][0]["p99_change"].get<double>(), 0);
  const std::string csv = format_comparison(c, ReportFormat::csv);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "target,scenario,params,driver,verdict,trials_a,trials_b,rps_a,rps_b,rps_change,"
            "p99_a_us,p99_b_us,p99_change,p_value");
  EXPECT_NE(csv.find("go,single,,anvil,significant,5,5,1000,800,-0.2,"), std::string::npos) << csv;
  const std::string table = format_comparison(c, ReportFormat::table);
  EXPECT_NE(table.find("-20.0%"), std::string::npos) << table;
}

TEST(Compare, ParsePercent) {
  EXPECT_DOUBLE_EQ(*parse_percent("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*parse_percent("2.5"), 0.025);
  EXPECT_DOUBLE_EQ(*parse_percent("0%"), 0);
  EXPECT_FALSE(parse_percent("abc"));
  EXPECT_FALSE(parse_percent("5%%"));
  EXPECT_FALSE(parse_percent("%"));
  EXPECT_FALSE(parse_percent(""));
  EXPECT_FALSE(parse_percent("-5%"));
  EXPECT_FALSE(parse_percent("nan"));
  EXPECT_FALSE(parse_percent("5x"));
  EXPECT_FALSE(parse_percent("1e9"));
}

}  // namespace
}  // namespace anvil::lab
