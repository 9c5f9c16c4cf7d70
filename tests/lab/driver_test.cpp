#include "anvil/lab/driver.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "anvil/metrics/histogram_log.hpp"
#include "support/process.hpp"

namespace anvil::lab {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kFixtures = ANVIL_LAB_FIXTURES;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string python() {
  const char* from_env = std::getenv("ANVIL_PYTHON");
  return from_env != nullptr ? from_env : ANVIL_DEFAULT_PYTHON;
}

// The venv the project's python lives in: <venv>/bin/python.
std::string venv() {
  return fs::path(python()).parent_path().parent_path().string();
}

class ScratchDir {
 public:
  ScratchDir() {
    path_ = fs::temp_directory_path() /
            ("anvil-lab-driver-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

DriverSpec spec(DriverKind kind, int replicas = 1, int threads = 1) {
  DriverSpec d;
  d.name = to_string(kind);
  d.kind = kind;
  d.replicas = replicas;
  d.threads = threads;
  return d;
}

WorkloadSpec get_root() {
  WorkloadSpec w;
  w.name = "get";
  w.requests.push_back(WorkloadRequest{});
  return w;
}

WorkloadSpec put_with_body() {
  WorkloadSpec w;
  w.name = "put";
  WorkloadRequest r;
  r.method = "PUT";
  r.path = "/obj";
  r.body = std::string("te\"st\n\0\xff", 8);
  r.headers = {{"X-Trace", "1"}};
  w.requests.push_back(r);
  return w;
}

WorkloadSpec put_get_mix() {
  WorkloadSpec w;
  w.name = "mix";
  WorkloadRequest put;
  put.method = "PUT";
  put.body = "test";
  put.weight = 1;
  WorkloadRequest get;
  get.path = "/x";
  get.weight = 3;
  get.headers = {{"X-A", "b\"c"}};
  w.requests = {put, get};
  return w;
}

LoadShape closed(int connections, double duration_s = 10, double warmup_s = 2) {
  LoadShape s;
  s.connections = connections;
  s.duration_s = duration_s;
  s.warmup_s = warmup_s;
  s.timeout_s = 5;
  return s;
}

LoadShape rate(double rps, int connections) {
  LoadShape s = closed(connections);
  s.mode = LoadShape::Mode::rate;
  s.rate = rps;
  return s;
}

DriverTarget target_at(const ScratchDir& dir, int port = 8080) {
  DriverTarget t;
  t.host = "127.0.0.1";
  t.port = port;
  t.anvil_binary = "/bin/anvil";
  t.venv = "/venv";
  t.work_dir = dir.str();
  return t;
}

using Argv = std::vector<std::string>;

// --- argv ---------------------------------------------------------------------------------

TEST(AnvilArgv, ClosedGet) {
  ScratchDir dir;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::anvil), get_root(), closed(64), target_at(dir), 0);
  EXPECT_EQ(inv.argv, (Argv{"/bin/anvil", "load", "http://127.0.0.1:8080/", "-c", "64", "-t", "1",
                            "-d", "10000ms", "--warmup", "2000ms", "--timeout", "5000ms", "--json",
                            dir / "anvil-0.json", "--no-progress", "-m", "GET"}));
  EXPECT_EQ(inv.output_path, dir / "anvil-0.json");
  EXPECT_EQ(inv.stdout_path, dir / "anvil-0.log");
}

TEST(AnvilArgv, RateSplitOverReplicasWithBodyHeadersAndNoKeepalive) {
  ScratchDir dir;
  WorkloadSpec w = put_with_body();
  w.keepalive = false;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::anvil, 2, 2), w, rate(1000, 9), target_at(dir), 1);
  EXPECT_EQ(inv.argv, (Argv{"/bin/anvil",
                            "load",
                            "http://127.0.0.1:8080/obj",
                            "-c",
                            "4",
                            "-t",
                            "2",
                            "-R",
                            "500",
                            "-d",
                            "10000ms",
                            "--warmup",
                            "2000ms",
                            "--timeout",
                            "5000ms",
                            "--json",
                            dir / "anvil-1.json",
                            "--no-progress",
                            "-m",
                            "PUT",
                            "-H",
                            "X-Trace: 1",
                            "--body-file",
                            dir / "anvil-1-body.bin",
                            "--no-keepalive"}));
  EXPECT_EQ(read_text(dir / "anvil-1-body.bin"), w.requests[0].body);
}

TEST(AnvilArgv, MixGoesToARequestsFile) {
  ScratchDir dir;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::anvil), put_get_mix(), closed(4), target_at(dir), 0);
  const Argv tail(inv.argv.end() - 2, inv.argv.end());
  EXPECT_EQ(tail, (Argv{"--requests-file", dir / "anvil-0.toml"}));
  EXPECT_EQ(read_text(dir / "anvil-0.toml"),
            "[[request]]\nmethod = \"PUT\"\npath = \"/\"\nweight = 1\nbody_file = \"" +
                (dir / "anvil-0-body-0.bin") +
                "\"\n\n[[request]]\nmethod = \"GET\"\npath = \"/x\"\nweight = 3\nheaders = { "
                "\"X-A\" = \"b\\\"c\" }\n\n");
  EXPECT_EQ(read_text(dir / "anvil-0-body-0.bin"), "test");
}

TEST(WrkArgv, ClosedGetNeedsNoScript) {
  ScratchDir dir;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::wrk, 1, 2), get_root(), closed(64, 2.5), target_at(dir), 0);
  EXPECT_EQ(inv.argv, (Argv{"/usr/bin/wrk", "-t", "2", "-c", "64", "-d", "3s", "--latency",
                            "--timeout", "5s", "http://127.0.0.1:8080/"}));
  EXPECT_EQ(inv.output_path, "");
  EXPECT_EQ(inv.stdout_path, dir / "wrk-0.log");
}

TEST(WrkArgv, BodyAndHeadersGoToALuaScript) {
  ScratchDir dir;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::wrk, 1, 4), put_with_body(), closed(2), target_at(dir), 0);
  EXPECT_EQ(inv.argv,
            (Argv{"/usr/bin/wrk", "-t", "2", "-c", "2", "-d", "10s", "--latency", "--timeout", "5s",
                  "-s", dir / "wrk-0.lua", "http://127.0.0.1:8080/obj"}));
  EXPECT_EQ(read_text(dir / "wrk-0.lua"),
            "wrk.method = \"PUT\"\nwrk.body = \"te\\\"st\\010\\000\\255\"\n"
            "wrk.headers = {[\"X-Trace\"] = \"1\", }\n");
}

TEST(WrkArgv, MixIsAWeightedRoundRobinInLua) {
  ScratchDir dir;
  build_invocation(spec(DriverKind::wrk), put_get_mix(), closed(2), target_at(dir), 0);
  const std::string lua = read_text(dir / "wrk-0.lua");
  EXPECT_NE(lua.find("wrk.format(\"PUT\", \"/\", {}, \"test\")"), std::string::npos) << lua;
  EXPECT_NE(lua.find("local order = {2,1,2,2,}"), std::string::npos) << lua;
}

TEST(WrkArgv, RateModeIsRefused) {
  ScratchDir dir;
  try {
    build_invocation(spec(DriverKind::wrk), get_root(), rate(100, 4), target_at(dir), 0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "wrk has no constant-rate mode; use the anvil driver");
  }
}

TEST(LocustArgv, ClosedUsersSpawnAtOnce) {
  ScratchDir dir;
  const DriverInvocation inv =
      build_invocation(spec(DriverKind::locust, 2), put_get_mix(), closed(5, 3), target_at(dir), 0);
  EXPECT_EQ(inv.argv, (Argv{"/venv/bin/locust", "-f", dir / "locust-0.py", "--headless", "-u", "3",
                            "-r", "3", "-t", "3s", "--host", "http://127.0.0.1:8080", "--csv",
                            dir / "locust-0", "--only-summary", "--loglevel", "WARNING"}));
  EXPECT_EQ(inv.output_path, dir / "locust-0");
  const auto workload = nlohmann::json::parse(read_text(dir / "locust-0.json"));
  ASSERT_EQ(workload["requests"].size(), 2u);
  EXPECT_EQ(workload["requests"][0]["method"], "PUT");
  EXPECT_EQ(read_text(workload["requests"][0]["body_file"].get<std::string>()), "test");
  EXPECT_EQ(workload["requests"][1]["weight"], 3);
  EXPECT_EQ(workload["requests"][1]["headers"]["X-A"], "b\"c");
  EXPECT_THROW(
      build_invocation(spec(DriverKind::locust), get_root(), rate(100, 4), target_at(dir), 0),
      std::invalid_argument);
}

TEST(CommandArgv, PlaceholdersAreSubstituted) {
  ScratchDir dir;
  DriverSpec d = spec(DriverKind::command, 2);
  d.command = {"prog",          "--url={url}", "{host}:{port}{path}", "{method}",   "{body_file}",
               "{connections}", "{rate}",      "{duration_s}",        "{warmup_s}", "{output}",
               "{unknown}"};
  const DriverInvocation inv =
      build_invocation(d, put_with_body(), rate(300, 7), target_at(dir), 1);
  EXPECT_EQ(inv.argv, (Argv{"prog", "--url=http://127.0.0.1:8080/obj", "127.0.0.1:8080/obj", "PUT",
                            dir / "command-1-body.bin", "3", "150", "10", "2",
                            dir / "command-1.out", "{unknown}"}));
  EXPECT_EQ(inv.stdout_path, dir / "command-1.log");
  d.command.clear();
  EXPECT_THROW(build_invocation(d, get_root(), closed(1), target_at(dir), 0),
               std::invalid_argument);
}

TEST(Argv, BadShapesAreRefused) {
  ScratchDir dir;
  EXPECT_THROW(build_invocation(spec(DriverKind::anvil), get_root(), closed(0), target_at(dir), 0),
               std::invalid_argument);
  EXPECT_THROW(build_invocation(spec(DriverKind::anvil), get_root(), rate(0, 1), target_at(dir), 0),
               std::invalid_argument);
  EXPECT_THROW(
      build_invocation(spec(DriverKind::anvil), WorkloadSpec{}, closed(1), target_at(dir), 0),
      std::invalid_argument);
}

// --- parsers on captured outputs -----------------------------------------------------------

DriverInvocation files(const std::string& output, const std::string& stdout_path) {
  DriverInvocation inv;
  inv.output_path = output;
  inv.stdout_path = stdout_path;
  return inv;
}

TEST(ParseAnvil, CapturedRunWithA404Cycle) {
  const std::string path = kFixtures + "/anvil_load_status_cycle.json";
  const auto json = nlohmann::json::parse(read_text(path));
  const DriverResult r = parse_result(spec(DriverKind::anvil), files(path, ""));
  EXPECT_EQ(r.requests, json["requests"].get<uint64_t>());
  EXPECT_EQ(r.successes, json["successes"].get<uint64_t>());
  EXPECT_EQ(r.errors.at("status_4xx"), json["errors"]["status_4xx"].get<uint64_t>());
  EXPECT_EQ(r.errors.count("connect"), 0u);  // zero classes are left out
  EXPECT_DOUBLE_EQ(r.duration_s, json["duration_s"].get<double>());
  EXPECT_DOUBLE_EQ(r.rps, static_cast<double>(r.successes) / r.duration_s);
  ASSERT_TRUE(r.histogram.has_value());
  EXPECT_EQ(static_cast<uint64_t>(r.histogram->count()),
            json["latency_us"]["count"].get<uint64_t>());
  EXPECT_TRUE(r.latency.from_histogram);
  EXPECT_EQ(*r.latency.p99, json["latency_us"]["p99"].get<double>());
  EXPECT_EQ(*r.latency.max, json["latency_us"]["max"].get<double>());
  EXPECT_FALSE(r.client_bound);
}

TEST(ParseAnvil, TruncatedOrMissingJsonIsAClearError) {
  ScratchDir dir;
  const std::string text = read_text(kFixtures + "/anvil_load_status_cycle.json");
  write_text(dir / "cut.json", text.substr(0, text.size() / 2));
  write_text(dir / "log", "anvil: error: connection refused\n");
  try {
    parse_result(spec(DriverKind::anvil), files(dir / "cut.json", dir / "log"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not JSON"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("connection refused"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_result(spec(DriverKind::anvil), files(dir / "absent.json", "")),
               std::runtime_error);
  write_text(dir / "norequests.json", R"({"successes": 1, "duration_s": 1})");
  EXPECT_THROW(parse_result(spec(DriverKind::anvil), files(dir / "norequests.json", "")),
               std::runtime_error);
  write_text(dir / "badhist.json",
             R"({"requests": 1, "successes": 1, "duration_s": 1, "latency_histogram": "!!"})");
  EXPECT_THROW(parse_result(spec(DriverKind::anvil), files(dir / "badhist.json", "")),
               std::runtime_error);
}

TEST(ParseWrk, CapturedRunWithA404Cycle) {
  // wrk 4.1 against anvil-test-server --status-cycle 200,200,200,404.
  const DriverResult r =
      parse_result(spec(DriverKind::wrk), files("", kFixtures + "/wrk_status_cycle.txt"));
  EXPECT_EQ(r.requests, 156721u);
  EXPECT_EQ(r.successes, 156721u - 39180u);
  EXPECT_EQ(r.errors.at("status"), 39180u);
  EXPECT_DOUBLE_EQ(r.duration_s, 2.10);
  EXPECT_DOUBLE_EQ(r.rps, (156721.0 - 39180.0) / 2.10);
  EXPECT_FALSE(r.latency.from_histogram);
  EXPECT_FALSE(r.histogram.has_value());
  EXPECT_DOUBLE_EQ(*r.latency.p50, 41.0);
  EXPECT_DOUBLE_EQ(*r.latency.p90, 79.0);
  EXPECT_DOUBLE_EQ(*r.latency.p99, 243.0);
  EXPECT_DOUBLE_EQ(*r.latency.mean, 58.29);
  EXPECT_DOUBLE_EQ(*r.latency.max, 4160.0);
  EXPECT_FALSE(r.latency.p95.has_value());
  EXPECT_FALSE(r.latency.p999.has_value());
}

TEST(ParseWrk, SocketErrorsAndUnits) {
  ScratchDir dir;
  write_text(dir / "out",
             "Running 1m test @ http://127.0.0.1:1/\n  1 threads and 2 connections\n"
             "    Latency     1.50ms    0.20ms   1.20s    90.00%\n  Latency Distribution\n"
             "     50%    1.50ms\n     75%    2.00ms\n     90%  100.00ms\n     99%    1.20s\n"
             "  1000 requests in 1.00m, 1.00MB read\n"
             "  Socket errors: connect 3, read 4, write 5, timeout 6\n"
             "Requests/sec:     16.67\n");
  const DriverResult r = parse_result(spec(DriverKind::wrk), files("", dir / "out"));
  EXPECT_EQ(r.successes, 1000u);
  EXPECT_EQ(r.requests, 1000u + 3 + 4 + 5);
  EXPECT_EQ(r.errors.at("connect"), 3u);
  EXPECT_EQ(r.errors.at("timeout"), 6u);
  EXPECT_DOUBLE_EQ(r.duration_s, 60.0);
  EXPECT_DOUBLE_EQ(*r.latency.p99, 1.2e6);
  EXPECT_DOUBLE_EQ(*r.latency.max, 1.2e6);
}

TEST(ParseWrk, OutputWithoutRequestsPerSecondIsAClearError) {
  ScratchDir dir;
  const std::string text = read_text(kFixtures + "/wrk_status_cycle.txt");
  write_text(dir / "cut", text.substr(0, text.find("Requests/sec")));
  try {
    parse_result(spec(DriverKind::wrk), files("", dir / "cut"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no 'Requests/sec'"), std::string::npos) << e.what();
  }
  write_text(dir / "usage", "unable to connect to 127.0.0.1:1 Connection refused\n");
  EXPECT_THROW(parse_result(spec(DriverKind::wrk), files("", dir / "usage")), std::runtime_error);
  // A script wrk could not open: it ran plain GETs instead, which is not the workload.
  write_text(dir / "noscript",
             "x/wrk-0.lua: cannot open x/wrk-0.lua: No such file or directory\n" + text);
  try {
    parse_result(spec(DriverKind::wrk), files("", dir / "noscript"));
    FAIL() << "a run without its script must not count";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("could not load its script"), std::string::npos)
        << e.what();
  }
}

TEST(ParseLocust, CapturedRunWithA404Cycle) {
  ScratchDir dir;
  fs::copy_file(kFixtures + "/locust_status_cycle_stats.csv", dir / "locust-0_stats.csv");
  fs::copy_file(kFixtures + "/locust_status_cycle_failures.csv", dir / "locust-0_failures.csv");
  DriverInvocation inv = files(dir / "locust-0", "");
  inv.argv = {"locust", "-t", "2s"};
  const DriverResult r = parse_result(spec(DriverKind::locust), inv);
  EXPECT_EQ(r.requests, 1744u);
  EXPECT_EQ(r.successes, 1744u - 436u);
  EXPECT_EQ(r.errors, (std::map<std::string, uint64_t>{{"status_4xx", 436}}));
  EXPECT_NEAR(r.duration_s, 1744 / 1745.8477005822383, 1e-9);
  EXPECT_NEAR(r.rps, (1744.0 - 436.0) / r.duration_s, 1e-6);
  EXPECT_DOUBLE_EQ(*r.latency.p50, 2000.0);
  EXPECT_DOUBLE_EQ(*r.latency.p999, 28000.0);
  EXPECT_NEAR(*r.latency.max, 32909.01699983806, 1e-6);
  EXPECT_FALSE(r.latency.from_histogram);
}

TEST(ParseLocust, NoAggregatedRowIsAClearError) {
  ScratchDir dir;
  const std::string text = read_text(kFixtures + "/locust_status_cycle_stats.csv");
  write_text(dir / "l_stats.csv", text.substr(0, text.find(",Aggregated")));
  DriverInvocation inv = files(dir / "l", "");
  inv.argv = {"locust", "-t", "2s"};
  try {
    parse_result(spec(DriverKind::locust), inv);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no Aggregated row"), std::string::npos) << e.what();
  }
  write_text(dir / "l_stats.csv", "");
  EXPECT_THROW(parse_result(spec(DriverKind::locust), inv), std::runtime_error);
  EXPECT_THROW(parse_result(spec(DriverKind::locust), files(dir / "absent", "")),
               std::runtime_error);
}

DriverResult parse_line(const ScratchDir& dir, const std::string& stdout_text) {
  write_text(dir / "stdout", stdout_text);
  return parse_result(spec(DriverKind::command), files("", dir / "stdout"));
}

std::string parse_line_error(const ScratchDir& dir, const std::string& stdout_text) {
  try {
    parse_line(dir, stdout_text);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no exception";
}

TEST(ParseCommand, LastNonEmptyLineWithErrorsAndLatency) {
  ScratchDir dir;
  const DriverResult r =
      parse_line(dir,
                 "warming up\n{\"requests\": 1, \"successes\": 1, \"duration_s\": 1}\n"
                 "{\"requests\": 110, \"errors\": {\"timeout\": 4, \"status_5xx\": 6}, "
                 "\"duration_s\": 2, \"latency_us\": {\"p50\": 10, \"p99\": 90.5}}\n\n");
  EXPECT_EQ(r.requests, 110u);
  EXPECT_EQ(r.successes, 100u);
  EXPECT_EQ(r.error_count(), 10u);
  EXPECT_DOUBLE_EQ(r.rps, 50.0);
  EXPECT_DOUBLE_EQ(*r.latency.p99, 90.5);
  EXPECT_FALSE(r.latency.p90.has_value());
  EXPECT_FALSE(r.latency.from_histogram);
}

TEST(ParseCommand, HistogramLikeAnvils) {
  ScratchDir dir;
  metrics::Histogram h;
  for (int v = 1; v <= 1000; ++v)
    h.record(v);
  const DriverResult r = parse_line(
      dir,
      "{\"requests\": 1000, \"successes\": 1000, \"duration_s\": 1, \"latency_histogram\": \"" +
          metrics::encode_compressed_base64(h) + "\"}");
  ASSERT_TRUE(r.histogram.has_value());
  EXPECT_TRUE(r.latency.from_histogram);
  EXPECT_EQ(*r.latency.p50, static_cast<double>(h.value_at_percentile(50)));
}

TEST(ParseCommand, BadLinesNameTheKeyAndShowTheLine) {
  ScratchDir dir;
  std::string e = parse_line_error(dir, "{\"successes\": 1, \"duration_s\": 1}\n");
  EXPECT_NE(e.find("'requests' missing"), std::string::npos) << e;
  EXPECT_NE(e.find("{\"successes\": 1"), std::string::npos) << e;
  e = parse_line_error(dir, "{\"requests\": 1, \"duration_s\": 1}");
  EXPECT_NE(e.find("'successes' or 'errors' missing"), std::string::npos) << e;
  e = parse_line_error(dir, "{\"requests\": 1, \"successes\": 1}");
  EXPECT_NE(e.find("'duration_s' missing"), std::string::npos) << e;
  e = parse_line_error(dir, "{\"requests\": -1, \"successes\": 1, \"duration_s\": 1}");
  EXPECT_NE(e.find("'requests' is not a non-negative integer"), std::string::npos) << e;
  e = parse_line_error(dir, "{\"requests\": 1, \"successes\": 2, \"duration_s\": 1}");
  EXPECT_NE(e.find("more successes than requests"), std::string::npos) << e;
  e = parse_line_error(dir, "{\"requests\": 1, \"successes\": 1, \"duration_s\": 0}");
  EXPECT_NE(e.find("'duration_s' is not a positive number"), std::string::npos) << e;
  e = parse_line_error(dir, "Traceback: " + std::string(500, 'x'));
  EXPECT_NE(e.find("not JSON"), std::string::npos) << e;
  EXPECT_LT(e.size(), 300u) << "the line is truncated";
  e = parse_line_error(dir, "[1, 2]");
  EXPECT_NE(e.find("not a JSON object"), std::string::npos) << e;
  e = parse_line_error(dir, "\n\n");
  EXPECT_NE(e.find("printed nothing"), std::string::npos) << e;
}

// --- merge ---------------------------------------------------------------------------------

DriverResult with_histogram(uint64_t successes, double duration_s, std::vector<int64_t> values) {
  DriverResult r;
  r.requests = successes;
  r.successes = successes;
  r.duration_s = duration_s;
  r.rps = static_cast<double>(successes) / duration_s;
  metrics::Histogram h;
  for (const int64_t v : values)
    h.record(v);
  r.latency = summarize_histogram(h);
  r.histogram = std::move(h);
  return r;
}

TEST(Merge, HistogramsMergeIntoTheHistogramOfTheUnion) {
  std::vector<int64_t> fast(90, 100);
  std::vector<int64_t> slow(10, 10'000);
  DriverResult a = with_histogram(90, 2.0, fast);
  DriverResult b = with_histogram(10, 2.5, slow);
  a.errors = {{"timeout", 1}};
  b.errors = {{"timeout", 2}, {"status_5xx", 3}};
  a.warnings = {"w1"};
  b.warnings = {"w1", "w2"};
  b.client_bound = true;
  b.client_bound_reason = "client CPU 95%";
  const DriverResult m = merge_replicas({a, b});
  EXPECT_EQ(m.requests, 100u);
  EXPECT_EQ(m.successes, 100u);
  EXPECT_DOUBLE_EQ(m.duration_s, 2.5);
  EXPECT_DOUBLE_EQ(m.rps, 45.0 + 4.0);
  EXPECT_EQ(m.errors, (std::map<std::string, uint64_t>{{"timeout", 3}, {"status_5xx", 3}}));
  EXPECT_EQ(m.warnings, (std::vector<std::string>{"w1", "w2"}));
  EXPECT_TRUE(m.client_bound);
  EXPECT_EQ(m.client_bound_reason, "client CPU 95%");
  EXPECT_EQ(m.replicas, 2);
  ASSERT_TRUE(m.histogram.has_value());
  EXPECT_EQ(m.histogram->count(), 100);
  // p95 of the union is a slow request; the mean of the two replicas' p95 (100 and 10000)
  // would be neither.
  metrics::Histogram expected;
  for (const int64_t v : fast)
    expected.record(v);
  for (const int64_t v : slow)
    expected.record(v);
  EXPECT_EQ(*m.latency.p95, static_cast<double>(expected.value_at_percentile(95)));
  EXPECT_EQ(*m.latency.p50, static_cast<double>(expected.value_at_percentile(50)));
  EXPECT_GT(*m.latency.p95, 9'000);
  EXPECT_LT(*m.latency.p50, 200);
  EXPECT_TRUE(m.latency.from_histogram);
}

TEST(Merge, WithoutHistogramsTheWorstPercentileWins) {
  DriverResult a, b;
  a.latency.p50 = 10;
  a.latency.p99 = 500;
  b.latency.p50 = 20;
  b.latency.p99 = 300;
  b.latency.max = 900;
  const DriverResult m = merge_replicas({a, b, with_histogram(1, 1, {5})});
  EXPECT_FALSE(m.histogram.has_value());
  EXPECT_FALSE(m.latency.from_histogram);
  EXPECT_EQ(*m.latency.p50, 20);
  EXPECT_EQ(*m.latency.p99, 500);
  EXPECT_EQ(*m.latency.max, 900);
  EXPECT_THROW(merge_replicas({}), std::invalid_argument);
}

// --- end to end ----------------------------------------------------------------------------

class RealRun : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.emplace(std::vector<std::string>{test::binary_path("anvil-test-server"), "--mode", "ok",
                                             "--body", "hello"});
    port_ = server_->read_port();
  }
  void TearDown() override {
    if (server_) server_->terminate();
  }

  DriverResult run(const DriverSpec& driver, const WorkloadSpec& workload, DriverTarget target) {
    target.port = port_;
    const DriverInvocation inv = build_invocation(driver, workload, closed(2, 2, 0.5), target, 0);
    test::Process p(inv.argv);
    const std::optional<int> code = p.wait(60s);
    write_text(inv.stdout_path, p.out() + p.err());
    EXPECT_TRUE(code.has_value()) << "driver did not finish";
    EXPECT_EQ(code.value_or(-1), 0) << p.out() << p.err();
    return parse_result(driver, inv);
  }

  // What the server counted, by method (it prints its counters as JSON when it stops).
  std::map<std::string, uint64_t> methods_seen() {
    server_->terminate();
    const std::string out = server_->out();
    const auto json = nlohmann::json::parse(out.substr(out.find('\n') + 1));
    server_.reset();
    return json["by_method"].get<std::map<std::string, uint64_t>>();
  }

  // Both requests of the put/get mix reached the server, in about their 1:3 weights.
  void expect_mix_sent() {
    const auto seen = methods_seen();
    ASSERT_EQ(seen.count("PUT"), 1u);
    ASSERT_EQ(seen.count("GET"), 1u);
    EXPECT_GT(seen.at("GET"), seen.at("PUT"));
  }

  static void expect_clean(const DriverResult& r) {
    EXPECT_GT(r.successes, 0u);
    EXPECT_EQ(r.successes, r.requests);
    EXPECT_EQ(r.error_count(), 0u) << r.errors.begin()->first;
    EXPECT_GT(r.duration_s, 0.5);
    EXPECT_NEAR(r.rps, static_cast<double>(r.successes) / r.duration_s, 1e-6 * r.rps);
    ASSERT_TRUE(r.latency.p50.has_value());
    EXPECT_GT(*r.latency.p50, 0);
  }

  std::optional<test::Process> server_;
  int port_ = 0;
};

TEST_F(RealRun, Anvil) {
  ScratchDir dir;
  DriverTarget t = target_at(dir);
  t.anvil_binary = test::binary_path("anvil");
  const DriverResult r = run(spec(DriverKind::anvil), put_get_mix(), t);
  expect_clean(r);
  EXPECT_TRUE(r.latency.from_histogram);
  expect_mix_sent();
}

TEST_F(RealRun, Wrk) {
  if (!fs::exists("/usr/bin/wrk")) GTEST_SKIP() << "wrk is not installed (apt-get install wrk)";
  ScratchDir dir;
  const DriverResult r = run(spec(DriverKind::wrk), put_get_mix(), target_at(dir));
  expect_clean(r);
  expect_mix_sent();
}

TEST_F(RealRun, JsonLineProgram) {
  ScratchDir dir;
  DriverSpec d = spec(DriverKind::command);
  d.command = {python(),        ANVIL_LAB_JSON_LINE_DRIVER,
               "--url",         "{url}",
               "--method",      "{method}",
               "--body-file",   "{body_file}",
               "--connections", "{connections}",
               "--duration",    "{duration_s}",
               "--warmup",      "{warmup_s}"};
  const DriverResult r = run(d, put_with_body(), target_at(dir));
  expect_clean(r);
  const auto seen = methods_seen();
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_GE(seen.at("PUT"), r.requests);  // and the warm-up's, which are not counted
}

TEST_F(RealRun, Locust) {
  if (!fs::exists(venv() + "/bin/locust")) {
    GTEST_SKIP() << "locust is not installed in " << venv()
                 << " (pip install -r peers/requirements.txt)";
  }
  ScratchDir dir;
  DriverTarget t = target_at(dir);
  t.venv = venv();
  const DriverResult r = run(spec(DriverKind::locust), put_get_mix(), t);
  expect_clean(r);
  expect_mix_sent();
}

}  // namespace
}  // namespace anvil::lab
