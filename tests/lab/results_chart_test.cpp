#include "anvil/lab/results_chart.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anvil::lab {
namespace {

ResultRow ok_row(std::string target, double median, std::string driver = "anvil") {
  ResultRow r;
  r.target = std::move(target);
  r.scenario = "c64";
  r.driver = std::move(driver);
  r.trials = r.ok_trials = 3;
  r.rps_median = median;
  r.rps_min = median * 0.9;
  r.rps_max = median * 1.1;
  r.p50_us = 100;
  r.p95_us = 400;
  r.p99_us = 900;
  r.p999_us = 2500;
  r.status = "ok";
  return r;
}

// Every element with exactly this class attribute, as written. (No std::regex: GCC 12 warns
// about its internals under the sanitizers, and the warnings are errors.)
std::vector<std::string> elements(const std::string& svg, const std::string& cls) {
  std::vector<std::string> out;
  const std::string needle = " class=\"" + cls + "\"";
  for (size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) {
    const size_t open = svg.rfind('<', at);
    out.push_back(svg.substr(open, svg.find('>', at) - open + 1));
  }
  return out;
}

double attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const size_t at = element.find(key);
  EXPECT_NE(at, std::string::npos) << name << " in " << element;
  if (at == std::string::npos) return -1;
  return std::stod(element.substr(at + key.size()));
}

// Well-formed enough for a browser: one root, every opened tag closed in order.
void expect_balanced_tags(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  std::vector<std::string> open;
  for (size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    const size_t end = svg.find('>', at);
    ASSERT_NE(end, std::string::npos);
    const std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag.ends_with('/')) continue;
    const bool closing = tag.starts_with('/');
    const std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" \n/", closing ? 1 : 0) - (closing ? 1 : 0));
    if (closing) {
      ASSERT_FALSE(open.empty()) << "closing " << name << " with nothing open";
      ASSERT_EQ(open.back(), name);
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  EXPECT_TRUE(open.empty());
}

TEST(ResultsChart, BarsAreProportionalToMedians) {
  const std::string svg =
      results_chart_svg({ok_row("fast", 100000), ok_row("slow", 50000, "wrk")}, "t");
  expect_balanced_tags(svg);
  const auto bars = elements(svg, "bar");
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_NEAR(attribute(bars[0], "width"), 2 * attribute(bars[1], "width"), 0.15);
  EXPECT_EQ(attribute(bars[0], "x"), attribute(bars[1], "x"));
  EXPECT_EQ(elements(svg, "whisker").size(), 2u);
  // Each driver its own colour, and both in the legend.
  EXPECT_NE(svg.find(">anvil</text>"), std::string::npos);
  EXPECT_NE(svg.find(">wrk</text>"), std::string::npos);
  EXPECT_NE(bars[0].substr(bars[0].find("fill=")), bars[1].substr(bars[1].find("fill=")));
  EXPECT_NE(svg.find(">100.0k<"), std::string::npos) << "the value at the bar's end";
  EXPECT_EQ(elements(svg, "percentile p50").size(), 2u);
  EXPECT_EQ(elements(svg, "percentile p999").size(), 2u);
}

TEST(ResultsChart, SameRowsSameBytes) {
  const std::vector<ResultRow> rows = {ok_row("a", 10), ok_row("b", 20)};
  EXPECT_EQ(results_chart_svg(rows, "x"), results_chart_svg(rows, "x"));
}

TEST(ResultsChart, TextIsEscaped) {
  ResultRow r = ok_row("a<b&\"c\"", 10);
  const std::string svg = results_chart_svg({r}, "suite 'q' <1>");
  expect_balanced_tags(svg);
  EXPECT_NE(svg.find("a&lt;b&amp;&quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("suite &apos;q&apos; &lt;1&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
}

TEST(ResultsChart, ClientBoundFailedAndSaturatedRows) {
  ResultRow bound = ok_row("bound", 2000, "locust");
  bound.client_bound = true;
  ResultRow failed;
  failed.target = "broken";
  failed.scenario = "c64";
  failed.driver = "anvil";
  failed.status = "verify failed: status 500";
  ResultRow stress = ok_row("stressed", 0);
  stress.rps_median = 900;
  stress.saturation_rps = 1000;
  stress.p50_us = stress.p95_us = stress.p99_us = stress.p999_us = std::nullopt;
  const std::string svg = results_chart_svg({bound, failed, stress}, "t");
  expect_balanced_tags(svg);
  EXPECT_EQ(elements(svg, "bar client-bound").size(), 1u);
  EXPECT_EQ(elements(svg, "bar").size(), 1u) << "the failed row has no bar";
  EXPECT_NE(svg.find(">verify failed: status 500</text>"), std::string::npos);
  EXPECT_NE(svg.find("1.0k (saturation)"), std::string::npos);
  // Percentile markers only for the row that has them.
  EXPECT_EQ(elements(svg, "percentile p50").size(), 1u);
  EXPECT_NE(svg.find("client-bound: the driver, not the server, was the limit"), std::string::npos);
}

TEST(ResultsChart, NoRows) {
  const std::string svg = results_chart_svg({}, "empty");
  expect_balanced_tags(svg);
  EXPECT_NE(svg.find("no runs match"), std::string::npos);
  EXPECT_TRUE(elements(svg, "bar").empty());
}

TEST(ResultsChart, NiceLinearTicks) {
  EXPECT_EQ(linear_ticks(7.3), (std::vector<double>{0, 2, 4, 6, 8}));
  EXPECT_EQ(linear_ticks(151800), (std::vector<double>{0, 50000, 100000, 150000, 200000}));
  EXPECT_EQ(linear_ticks(100), (std::vector<double>{0, 50, 100}));
  EXPECT_EQ(linear_ticks(0), (std::vector<double>{0, 1}));
  EXPECT_EQ(linear_ticks(-3), (std::vector<double>{0, 1}));
  const std::vector<double> small = linear_ticks(0.042);
  ASSERT_EQ(small.size(), 4u);
  EXPECT_NEAR(small.back(), 0.06, 1e-12);
}

}  // namespace
}  // namespace anvil::lab
