// Request shaping and pacing options end to end: request mixes, multipart forms, warm-up,
// stages, spawn rate, the percentile spectrum and the HdrHistogram log.
#include <cmath>
#include <cstdio>
#include <fstream>

#include "harness.hpp"

namespace anvil::test {
namespace {

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("anvil-shaping-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST(Shaping, RequestFileMixArrivesInExactProportion) {
  TestServer server({});
  const std::string mix = temp_file("mix.toml", R"(
[[request]]
method = "PUT"
path = "/obj"
body = "test"
weight = 3

[[request]]
method = "GET"
path = "/"
)");
  const auto run =
      run_anvil({server.url(), "--requests-file", mix, "-n", "400", "-c", "4", "--json", "-"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_EQ(run.report["requests"], 400u);
  EXPECT_EQ(seen["by_method"], json({{"GET", 100}, {"PUT", 300}})) << seen.dump();
  EXPECT_EQ(seen["body_bytes"], 300u * 4) << seen.dump();
  EXPECT_EQ(seen["by_path"]["/obj"], 300u) << seen.dump();
  std::remove(mix.c_str());
}

TEST(Shaping, BadRequestFileIsAUsageError) {
  const std::string mix = temp_file("bad.toml", "[[request]]\nmethod = \"GET\"\nweight = \"x\"\n");
  const auto run = run_anvil({"http://127.0.0.1:1/", "--requests-file", mix});
  EXPECT_EQ(run.exit_code(), 2) << run.describe();
  EXPECT_NE(run.err().find(mix + ":3"), std::string::npos) << run.describe();
  std::remove(mix.c_str());
}

TEST(Shaping, MultipartFormCarriesFileAndField) {
  const std::string csv = temp_file("rows.csv", "a,b\n1,2\n");
  TestServer server(
      {"--expect-header",
       "Content-Type: multipart/form-data; boundary=anvil-form-boundary-7MA4YWxkTrZu0gW"});
  const auto run = run_anvil({server.url("/predict/"), "--form", "X=@" + csv, "--form", "note=hi",
                              "-n", "20", "-c", "2", "--json", "-"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_EQ(seen["by_method"], json({{"POST", 20}})) << seen.dump();
  EXPECT_EQ(seen["header_matches"], 20u) << seen.dump();
  // Each body holds both parts: the file's 8 bytes and the field, with their part headers.
  const uint64_t per_request = seen["body_bytes"].get<uint64_t>() / 20;
  EXPECT_GT(per_request, 8u + 2u + 100u) << seen.dump();
  EXPECT_EQ(seen["body_bytes"].get<uint64_t>() % 20, 0u);
  std::remove(csv.c_str());
}

TEST(Shaping, WarmupRunsButIsNotCounted) {
  TestServer server({});
  const auto run = run_anvil(
      {server.url(), "-R", "200", "--warmup", "1s", "-d", "1s", "-c", "4", "--json", "-"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  const uint64_t counted = run.report["requests"];
  const uint64_t served = seen["requests"];
  // 200/s for 1 s counted, 200 more sent during the warm-up.
  EXPECT_NEAR(static_cast<double>(counted), 200, 3) << run.describe();
  EXPECT_NEAR(static_cast<double>(served), 400, 4) << seen.dump();
  EXPECT_NEAR(run.report["duration_s"].get<double>(), 1.0, 0.05);
}

TEST(Shaping, RateStagesFollowTheRamp) {
  TestServer server({});
  // 100 -> 300 req/s over 2 s (400 requests), then 300 -> 0 over 1 s (150 requests).
  const auto run =
      run_anvil({server.url(), "-R", "100", "--stages", "2s:300,1s:0", "-c", "8", "--json", "-"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_NEAR(static_cast<double>(run.report["requests"].get<uint64_t>()), 550, 3)
      << run.describe();
  EXPECT_EQ(run.report["requests"], seen["requests"]);
  EXPECT_EQ(run.report["config"]["stages"].size(), 2u);
  EXPECT_NEAR(run.report["duration_s"].get<double>(), 3.0, 0.1);
}

TEST(Shaping, StagesWithoutRateOrUsersIsAUsageError) {
  const auto run = run_anvil({"http://127.0.0.1:1/", "--stages", "1s:10"});
  EXPECT_EQ(run.exit_code(), 2) << run.describe();
  const auto bad = run_anvil({"http://127.0.0.1:1/", "-R", "10", "--stages", "1s:10,oops"});
  EXPECT_EQ(bad.exit_code(), 2) << bad.describe();
  EXPECT_NE(bad.err().find("oops"), std::string::npos) << bad.describe();
}

TEST(Shaping, SpawnRateRampsUsersUp) {
  TestServer server({});
  // 20 users, 10 started per second, think 100 ms: user u starts at u/10 s, so over 2 s users
  // run for sum(2 - u/10) = 40 - 19 = 21 user-seconds, ~10 requests each: about 210 requests
  // (all at once it would be about 400).
  const auto run = run_anvil({server.url(), "--users", "20", "--spawn-rate", "10", "--think",
                              "100ms", "-d", "2s", "--json", "-"});
  server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  const double n = run.report["requests"].get<double>();
  EXPECT_GT(n, 150) << run.describe();
  EXPECT_LT(n, 280) << run.describe();
  EXPECT_EQ(run.report["mode"], "users");
}

TEST(Shaping, RequestCountAloneBoundsRateAndUsersRuns) {
  TestServer server({});
  // No --duration: the count alone must end the run, at the rate's pace or the users' own.
  const auto rate = run_anvil({server.url(), "-n", "300", "-R", "1000", "--json", "-"}, 15s);
  const auto users =
      run_anvil({server.url(), "-n", "60", "--users", "5", "--think", "10ms", "--json", "-"}, 15s);
  const json seen = server.stop();
  ASSERT_EQ(rate.exit_code(), 0) << rate.describe();
  ASSERT_EQ(users.exit_code(), 0) << users.describe();
  EXPECT_EQ(rate.report["requests"], 300u);
  EXPECT_NEAR(rate.report["duration_s"].get<double>(), 0.3, 0.1) << rate.describe();
  EXPECT_EQ(users.report["requests"], 60u);
  EXPECT_EQ(seen["requests"], 360u) << seen.dump();
}

TEST(Shaping, LatencyFlagPrintsTheSpectrum) {
  TestServer server({});
  const auto run = run_anvil({server.url(), "-n", "500", "-c", "4", "--latency"});
  server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_NE(run.out().find("Percentile spectrum"), std::string::npos) << run.describe();
  EXPECT_NE(run.out().find("#[Mean"), std::string::npos) << run.describe();
  EXPECT_NE(run.out().find("1.000000000000"), std::string::npos) << run.describe();
}

TEST(Shaping, HlogIsReadByTheIndependentDecoder) {
  const char* from_env = std::getenv("ANVIL_PYTHON");
  const std::string python = from_env != nullptr ? from_env : ANVIL_DEFAULT_PYTHON;
  // The venv is part of the test set-up (scripts/setup.sh); its absence is a broken set-up.
  ASSERT_TRUE(std::filesystem::exists(python)) << "no project venv python at " << python;
  TestServer server({"--mode", "delay", "--delay-ms", "2"});
  const std::string hlog = temp_file("run.hlog", "");
  const auto run =
      run_anvil({server.url(), "-R", "300", "-d", "3s", "-c", "8", "--hlog", hlog, "--json", "-"});
  server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  // Python's hdrh reads every interval, and their merge matches anvil's own totals.
  const std::string script = R"(
import sys, json
from hdrh.log import HistogramLogReader
from hdrh.histogram import HdrHistogram
acc = HdrHistogram(1, 3600000000, 3)
reader = HistogramLogReader(sys.argv[1], acc)
n = 0
while True:
    h = reader.get_next_interval_histogram()
    if h is None:
        break
    acc.add(h)
    n += 1
print(json.dumps({"intervals": n, "count": acc.get_total_count(),
                  "p50": acc.get_value_at_percentile(50), "max": acc.get_max_value()}))
)";
  const std::string script_path = temp_file("read_hlog.py", script);
  const auto decoded = run_process({python, script_path, hlog}, 30s);
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  const json got = json::parse(decoded.out);
  EXPECT_GE(got["intervals"].get<int>(), 3) << decoded.out;
  EXPECT_EQ(got["count"], run.report["latency_us"]["count"]) << decoded.out << run.describe();
  EXPECT_EQ(got["max"], run.report["latency_us"]["max"]) << decoded.out;
  // Delay 2 ms: the median is a little above 2000 us in both readings.
  EXPECT_GE(got["p50"].get<int64_t>(), 2000);
  EXPECT_NEAR(got["p50"].get<double>(), run.report["latency_us"]["p50"].get<double>(),
              run.report["latency_us"]["p50"].get<double>() * 0.002 + 1);
  std::remove(hlog.c_str());
  std::remove(script_path.c_str());
}

}  // namespace
}  // namespace anvil::test
