#include "anvil/lab/results_table.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/run_records.hpp"

namespace anvil::lab {
namespace {

StoredRun stored(int64_t suite_run, RunRecord r) {
  StoredRun s;
  s.suite_run_id = suite_run;
  s.record = std::move(r);
  return s;
}

// A minimal RFC 4180 reader, so the tests check what a spreadsheet would see.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  EXPECT_TRUE(row.empty() && field.empty()) << "last row without CRLF";
  return rows;
}

std::vector<StoredRun> three_trials_and_a_failure() {
  std::vector<StoredRun> runs;
  runs.push_back(stored(7, test::measured_run("go", 1, 1000, 1000)));
  runs.push_back(stored(7, test::measured_run("go", 2, 1200, 2000)));
  runs.push_back(stored(7, test::measured_run("go", 3, 800, 3000)));
  RunRecord failed;
  failed.key = RunKey{"flask, \"dev\"", "single", "workers=2", "locust", 1};
  failed.status = RunStatus::failed;
  failed.reason = "exited with code 1 before ready";
  runs.push_back(stored(7, failed));
  RunRecord missing;
  missing.key = RunKey{"nginx", "single", "", "anvil", 1};
  missing.status = RunStatus::not_installed;
  runs.push_back(stored(7, missing));
  return runs;
}

TEST(ResultsTable, FoldsTrialsIntoOneRowPerConfiguration) {
  const std::vector<ResultRow> rows = aggregate_runs(three_trials_and_a_failure());
  ASSERT_EQ(rows.size(), 3u);
  const ResultRow& go = rows[0];
  EXPECT_EQ(go.target, "go");
  EXPECT_EQ(go.trials, 3);
  EXPECT_EQ(go.ok_trials, 3);
  EXPECT_DOUBLE_EQ(*go.rps_median, 1000);
  EXPECT_DOUBLE_EQ(*go.rps_min, 800);
  EXPECT_DOUBLE_EQ(*go.rps_max, 1200);
  EXPECT_NEAR(*go.rps_cv, 0.2, 1e-12);  // sd 200 / mean 1000
  ASSERT_FALSE(go.warnings.empty());
  EXPECT_EQ(go.warnings[0], "throughput spread 20% across 3 trials");
  // errors / requests: 10 errors per trial, requests = successes + 10.
  EXPECT_NEAR(*go.error_rate, 30.0 / (10000 + 12000 + 8000 + 30), 1e-12);
  // Percentiles from the merged histogram: 3000 values uniform over 1000..1999, 2000..2999,
  // 3000..3999 -> p50 near 2500 (histogram precision), never an average of trial p50s.
  EXPECT_TRUE(go.latency_from_histogram);
  EXPECT_NEAR(*go.p50_us, 2500, 5);
  EXPECT_NEAR(*go.p99_us, 3970, 5);
  EXPECT_NEAR(*go.p999_us, 3997, 5);
  EXPECT_DOUBLE_EQ(*go.server_cpu_mean_pct, 80);
  EXPECT_DOUBLE_EQ(*go.server_cpu_peak_pct, 98);  // 95 + trial 3
  // 8 s of CPU per trial over the trials' successes.
  EXPECT_NEAR(*go.server_cpu_us_per_request, 24e6 / 30000, 1e-9);
  EXPECT_EQ(*go.server_rss_peak_bytes, 40ull * 1024 * 1024 + 3);
  EXPECT_DOUBLE_EQ(*go.ctx_switches_per_s, 1200);
  EXPECT_FALSE(go.client_bound);
  EXPECT_FALSE(go.saturation_rps);
  EXPECT_EQ(go.status, "ok");

  EXPECT_EQ(rows[1].status, "failed: exited with code 1 before ready");
  EXPECT_EQ(rows[1].ok_trials, 0);
  EXPECT_FALSE(rows[1].rps_median);
  EXPECT_FALSE(rows[1].p99_us);
  EXPECT_EQ(rows[2].status, "not installed");
}

TEST(ResultsTable, WithoutHistogramsPercentilesAreTrialMedians) {
  std::vector<StoredRun> runs;
  for (int trial = 1; trial <= 3; ++trial) {
    RunRecord r = test::measured_run("wrk-driven", trial, 100.0 * trial);
    r.result->histogram.reset();
    r.result->latency = {};
    r.result->latency.p99 = 1000.0 * trial;
    r.result->client_bound = trial == 2;
    r.saturation_rps = 500.0 * trial;
    runs.push_back(stored(1, r));
  }
  RunRecord verify = test::measured_run("wrk-driven", 4, 1e6);
  verify.status = RunStatus::verify_failed;
  verify.reason = "GET / answered 404";
  runs.push_back(stored(1, verify));
  const auto rows = aggregate_runs(runs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].latency_from_histogram);
  EXPECT_DOUBLE_EQ(*rows[0].p99_us, 2000);
  EXPECT_FALSE(rows[0].p50_us);
  EXPECT_TRUE(rows[0].client_bound);
  EXPECT_DOUBLE_EQ(*rows[0].saturation_rps, 1000);
  EXPECT_DOUBLE_EQ(*rows[0].rps_median, 200);  // the failed trial's rps is not counted
  EXPECT_EQ(rows[0].ok_trials, 3);
  EXPECT_EQ(rows[0].status, "verify failed: GET / answered 404 (1 of 4 trials)");
}

TEST(ResultsTable, CsvParsesBackWithRawNumbersAndQuoting) {
  const auto rows = aggregate_runs(three_trials_and_a_failure());
  const auto csv = parse_csv(format_rows(rows, ReportFormat::csv));
  ASSERT_EQ(csv.size(), 4u);
  const auto& header = csv[0];
  auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  for (const auto& row : csv)
    EXPECT_EQ(row.size(), header.size());
  EXPECT_EQ(csv[1][column("target")], "go");
  EXPECT_DOUBLE_EQ(std::stod(csv[1][column("rps_median")]), 1000);
  EXPECT_DOUBLE_EQ(std::stod(csv[1][column("rps_cv")]), *rows[0].rps_cv);
  EXPECT_DOUBLE_EQ(std::stod(csv[1][column("p99_us")]), *rows[0].p99_us);
  EXPECT_EQ(std::stoull(csv[1][column("server_rss_peak_bytes")]), *rows[0].server_rss_peak_bytes);
  EXPECT_EQ(csv[1][column("suite_run_id")], "7");
  EXPECT_EQ(csv[1][column("warnings")], "throughput spread 20% across 3 trials");
  EXPECT_EQ(csv[2][column("target")], "flask, \"dev\"");  // comma and quotes survive
  EXPECT_EQ(csv[2][column("params")], "workers=2");
  EXPECT_EQ(csv[2][column("rps_median")], "");  // absent is empty
  EXPECT_EQ(csv[2][column("status")], "failed: exited with code 1 before ready");
}

TEST(ResultsTable, JsonParsesBackWithNullForAbsent) {
  const auto rows = aggregate_runs(three_trials_and_a_failure());
  const nlohmann::json j = nlohmann::json::parse(format_rows(rows, ReportFormat::json));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["target"], "go");
  EXPECT_DOUBLE_EQ(j[0]["rps_median"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(j[0]["p50_us"].get<double>(), *rows[0].p50_us);
  EXPECT_EQ(j[0]["trial_rps"], nlohmann::json({1000.0, 1200.0, 800.0}));
  EXPECT_EQ(j[0]["client_bound"], false);
  EXPECT_TRUE(j[0]["saturation_rps"].is_null());
  EXPECT_EQ(j[1]["target"], "flask, \"dev\"");
  EXPECT_TRUE(j[1]["rps_median"].is_null());
  EXPECT_TRUE(j[1]["p99_us"].is_null());
  EXPECT_EQ(j[2]["status"], "not installed");
}

TEST(ResultsTable, TableUsesHumanUnitsAndAlignsColumns) {
  const auto rows = aggregate_runs(three_trials_and_a_failure());
  const std::string table = format_rows(rows, ReportFormat::table);
  EXPECT_NE(table.find("1.0k"), std::string::npos) << table;
  EXPECT_NE(table.find("800..1.2k"), std::string::npos) << table;
  EXPECT_NE(table.find("40 MiB"), std::string::npos) << table;
  EXPECT_NE(table.find("2.50 ms"), std::string::npos) << table;
  EXPECT_NE(table.find("warning: go/single (anvil): throughput spread 20% across 3 trials"),
            std::string::npos)
      << table;
  // The status column starts at the same offset in the header and every row.
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(table.substr(start, end - start));
  const size_t status_at = lines[0].find("status");
  ASSERT_NE(status_at, std::string::npos);
  EXPECT_EQ(lines[1].substr(status_at), "ok");
  EXPECT_EQ(lines[3].substr(status_at), "not installed");
}

TEST(ResultsTable, HumanUnits) {
  EXPECT_EQ(human_rate(850), "850");
  EXPECT_EQ(human_rate(12'345), "12.3k");
  EXPECT_EQ(human_rate(2'500'000), "2.50M");
  EXPECT_EQ(human_latency_us(850), "850 us");
  EXPECT_EQ(human_latency_us(1250), "1.25 ms");
  EXPECT_EQ(human_latency_us(2'500'000), "2.50 s");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(45ull * 1024 * 1024), "45 MiB");
  EXPECT_EQ(human_bytes(3ull * 1024 * 1024 * 1024 / 2), "1.5 GiB");
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(ResultsTable, FormatNames) {
  EXPECT_EQ(report_format_from_string("table"), ReportFormat::table);
  EXPECT_EQ(report_format_from_string("csv"), ReportFormat::csv);
  EXPECT_EQ(report_format_from_string("json"), ReportFormat::json);
  EXPECT_FALSE(report_format_from_string("xml"));
  EXPECT_FALSE(report_format_from_string(""));
}

}  // namespace
}  // namespace anvil::lab
