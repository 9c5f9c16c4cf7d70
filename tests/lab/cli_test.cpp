// `anvil results` and `anvil compare` as users run them: the real binary over a real store.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "anvil/lab/store.hpp"
#include "integration/harness.hpp"
#include "lab/run_records.hpp"
#include "support/process.hpp"

namespace anvil::lab {
namespace {

using anvil::test::RunResult;
using anvil::test::TempDir;
using namespace std::chrono_literals;

RunResult anvil_cli(std::vector<std::string> args) {
  args.insert(args.begin(), anvil::test::binary_path("anvil"));
  return anvil::test::run_process(std::move(args), 30s);
}

// One line on stderr, "anvil: error: ...", exit 2.
void expect_usage_error(const RunResult& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(r.err.starts_with("anvil: error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

int64_t add_suite_run(ResultStore& store, const std::vector<double>& go_rps,
                      const std::vector<double>& flask_rps, const std::string& suite = "etl") {
  const int64_t id = store.begin_suite_run(test::suite_info(suite));
  for (size_t i = 0; i < go_rps.size(); ++i)
    store.record_run(id, test::measured_run("go", static_cast<int>(i) + 1, go_rps[i]));
  for (size_t i = 0; i < flask_rps.size(); ++i)
    store.record_run(id, test::measured_run("flask", static_cast<int>(i) + 1, flask_rps[i]));
  store.finish_suite_run(id);
  return id;
}

class LabCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ResultStore store(db);
    baseline = add_suite_run(store, {1000, 1010, 990, 1005, 995}, {300, 310, 290, 305, 295});
    noisy = add_suite_run(store, {1002, 1012, 985, 1000, 990}, {290, 315, 300, 300, 296});
    slower = add_suite_run(store, {800, 810, 790, 805, 795}, {300, 305, 295, 302, 298});
    store.record_warning(slower, "cpu frequency scaling is on");
    few = add_suite_run(store, {500, 510}, {}, "other");
  }
  TempDir dir;
  std::string db = dir.file("anvil.db");
  int64_t baseline = 0, noisy = 0, slower = 0, few = 0;
};

TEST_F(LabCli, ResultsDefaultsToTheLatestSuiteRunAsATable) {
  const RunResult r = anvil_cli({"results", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("suite run " + std::to_string(few) + ": other"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("505"), std::string::npos) << r.out;  // median of 500, 510

  const RunResult by_suite = anvil_cli({"results", "--db", db, "--suite", "etl"});
  ASSERT_EQ(by_suite.exit_code, 0) << by_suite.err;
  EXPECT_NE(by_suite.out.find("suite run " + std::to_string(slower) + ": etl"), std::string::npos)
      << by_suite.out;
  EXPECT_NE(by_suite.out.find("warning: cpu frequency scaling is on"), std::string::npos)
      << by_suite.out;
}

TEST_F(LabCli, ResultsAsJsonAndCsvParseBack) {
  const RunResult j = anvil_cli({"results", "--db", db, "--run", std::to_string(baseline),
                                 "--target", "go", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto rows = nlohmann::json::parse(j.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["target"], "go");
  EXPECT_EQ(rows[0]["suite_run_id"], baseline);
  EXPECT_DOUBLE_EQ(rows[0]["rps_median"].get<double>(), 1000);
  EXPECT_EQ(rows[0]["trials"], 5);
  EXPECT_NE(j.err.find("suite run " + std::to_string(baseline)), std::string::npos) << j.err;

  const std::string out = dir.file("results.csv");
  const RunResult c = anvil_cli(
      {"results", "--db", db, "--run", std::to_string(baseline), "--format", "csv", "-o", out});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_TRUE(c.out.empty()) << c.out;
  const std::string csv = anvil::test::read_file(out);
  EXPECT_TRUE(
      csv.starts_with("suite_run_id,target,scenario,params,driver,trials,ok_trials,"
                      "rps_median,"))
      << csv;
  EXPECT_NE(csv.find("\r\n" + std::to_string(baseline) + ",flask,single,,anvil,5,5,300,290,310,"),
            std::string::npos)
      << csv;
}

TEST_F(LabCli, CompareClearSlowdownFailsAboveThreshold) {
  const RunResult r = anvil_cli({"compare", std::to_string(baseline), std::to_string(slower),
                                 "--db", db, "--fail-above", "5%"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("significant"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-20.0%"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("go/single (anvil) got slower"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("flask"), std::string::npos) << r.err;  // unchanged within noise

  // Without --fail-above it is a report, not a gate.
  EXPECT_EQ(anvil_cli({"compare", std::to_string(baseline), std::to_string(slower), "--db", db})
                .exit_code,
            0);
  // Above the change: not a failure.
  EXPECT_EQ(anvil_cli({"compare", std::to_string(baseline), std::to_string(slower), "--db", db,
                       "--fail-above", "25%"})
                .exit_code,
            0);
}

TEST_F(LabCli, CompareNoiseOnlyPassesWithLatestReferences) {
  // latest~1 and latest within suite etl are `noisy` and `slower`; latest~2 is the baseline.
  const RunResult r = anvil_cli({"compare", "latest~2", "latest~1", "--suite", "etl", "--db", db,
                                 "--fail-above", "1%", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["a"], baseline);
  EXPECT_EQ(j["b"], noisy);
  ASSERT_EQ(j["rows"].size(), 2u);
  for (const auto& row : j["rows"])
    EXPECT_EQ(row["verdict"], "within noise") << row.dump();
}

TEST_F(LabCli, CompareWithTooFewTrialsWarns) {
  const RunResult r =
      anvil_cli({"compare", std::to_string(few), "latest", "--db", db, "--fail-above", "5%"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("too few trials"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("warning: go/single (anvil): 2 vs 2 trials"), std::string::npos) << r.out;
}

TEST_F(LabCli, ResultsAsAnSvgChart) {
  const std::string out = dir.file("chart.svg");
  const RunResult r = anvil_cli(
      {"results", "--db", db, "--run", std::to_string(baseline), "--format", "svg", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("suite run " + std::to_string(baseline)), std::string::npos) << r.err;
  const std::string svg = anvil::test::read_file(out);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_NE(svg.find("etl \u2014 suite run " + std::to_string(baseline)), std::string::npos);
  EXPECT_NE(svg.find(">1.0k</text>"), std::string::npos) << "go's median";  // 1000 req/s
  EXPECT_NE(svg.find(">300</text>"), std::string::npos) << "flask's median";
  // Not a terminal here (a pipe): the chart may go to stdout too.
  const RunResult piped =
      anvil_cli({"results", "--db", db, "--run", std::to_string(baseline), "--format", "svg"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, svg);
  // compare has no chart.
  expect_usage_error(anvil_cli({"compare", "latest~1", "latest", "--db", db, "--format", "svg"}),
                     "--format 'svg'");
}

TEST_F(LabCli, BadInputIsOneLineAndExitTwo) {
  expect_usage_error(anvil_cli({"results", "--db", db, "--run", "999"}), "no suite run 999");
  expect_usage_error(anvil_cli({"results", "--db", db, "--run", "abc"}), "bad suite run 'abc'");
  expect_usage_error(anvil_cli({"results", "--db", db, "--suite", "nope"}), "suite 'nope'");
  expect_usage_error(anvil_cli({"results", "--db", db, "--format", "xml"}), "--format 'xml'");
  expect_usage_error(anvil_cli({"compare", "1", "2", "--db", db, "--format", "yaml"}),
                     "--format 'yaml'");
  expect_usage_error(anvil_cli({"compare", "1", "2", "--db", db, "--fail-above", "abc"}),
                     "--fail-above 'abc'");
  expect_usage_error(anvil_cli({"compare", "1", "999", "--db", db}), "no suite run 999");
  expect_usage_error(anvil_cli({"compare", "latest~9", "latest", "--db", db}), "latest~9");
  expect_usage_error(anvil_cli({"compare", "latest~x", "latest", "--db", db}), "latest~x");
  expect_usage_error(anvil_cli({"compare", "1", "--db", db}), "");
  expect_usage_error(anvil_cli({"results", "--db", db, "-o", dir.file("no/such/dir/out.txt")}),
                     "cannot write");

  const std::string missing = dir.file("missing.db");
  expect_usage_error(anvil_cli({"results", "--db", missing}), "does not exist");
  expect_usage_error(anvil_cli({"compare", "latest~1", "latest", "--db", missing}),
                     "does not exist");
  EXPECT_FALSE(std::filesystem::exists(missing));  // never created by a read
  const std::string directory = dir.file("a-directory");
  std::filesystem::create_directory(directory);
  expect_usage_error(anvil_cli({"results", "--db", directory}), "is not a file");
}

TEST(LabCliStore, EmptyAndUnreadableStoresAreOneLineErrors) {
  TempDir dir;
  const std::string db = dir.file("anvil.db");
  { ResultStore store(db); }
  expect_usage_error(anvil_cli({"results", "--db", db}), "no suite run 'latest'");

  const std::string junk = dir.file("junk.db");
  { std::ofstream(junk) << std::string(4096, 'x'); }
  const RunResult r = anvil_cli({"results", "--db", junk});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // not bad flags: the file itself cannot be used
  EXPECT_TRUE(r.err.starts_with("anvil: error: results store " + junk)) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace anvil::lab
