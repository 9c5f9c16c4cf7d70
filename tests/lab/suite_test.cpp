#include "anvil/lab/suite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace anvil::lab {
namespace {

const char* kMinimal = R"(
[[target]]
name = "hello"
command = ["{binary_dir}/etl-hello", "--port", "{port}"]

[[scenario]]
kind = "single"
)";

// The message of the SuiteError that parsing `text` throws ("" when it parses).
std::string error_of(const std::string& text) {
  try {
    parse_suite(text, "/tmp/suites/s.toml");
  } catch (const SuiteError& e) {
    return e.what();
  }
  return "";
}

TEST(Suite, MinimalSuiteGetsTheDocumentedDefaults) {
  const Suite s = parse_suite(kMinimal, "/tmp/suites/demo.toml");
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.dir, "/tmp/suites");
  EXPECT_EQ(s.venv, "/tmp/.venv");
  EXPECT_EQ(s.peers_file, "/tmp/peers/peers.json");
  EXPECT_DOUBLE_EQ(s.duration_s, 10);
  EXPECT_DOUBLE_EQ(s.warmup_s, 2);
  EXPECT_EQ(s.trials, 3);
  ASSERT_EQ(s.targets.size(), 1u);
  EXPECT_EQ(s.targets[0].ready.path, "/health");
  EXPECT_EQ(s.targets[0].ready.expect_status, 200);
  EXPECT_EQ(s.targets[0].host, "127.0.0.1");
  EXPECT_EQ(s.targets[0].cwd, "/tmp/suites");
  ASSERT_EQ(s.workloads.size(), 1u);
  EXPECT_EQ(s.workloads[0].requests[0].method, "GET");
  ASSERT_EQ(s.scenarios.size(), 1u);
  EXPECT_EQ(s.scenarios[0].kind, ScenarioKind::single);
  EXPECT_EQ(s.scenarios[0].connections, std::vector<int>{1});
  EXPECT_EQ(s.drivers, std::vector<std::string>{"anvil"});
}

TEST(Suite, FullSuiteParses) {
  const Suite s = parse_suite(R"(
[suite]
name = "full"
duration = "3s"
warmup = "500ms"
trials = 5
quick_scale = 0.5
pin = false
drivers = ["anvil", "w"]

[[target]]
name = "gunicorn"
command = ["{python}", "-m", "gunicorn", "-w", "{workers}", "-b", "{host}:{port}"]
env = { APP_MODE = "bench", LEVEL = 3 }
ready = { path = "/ready", status = 204 }
startup_timeout = "45s"
stop_grace = 1
params = { workers = 2 }

[[workload]]
name = "put"
method = "PUT"
path = "/obj"
body_bytes = 30
headers = { "Content-Type" = "application/octet-stream" }
expect_body = "Hello World!"

[[workload]]
name = "mix"
keepalive = false
[[workload.request]]
path = "/a"
weight = 3
[[workload.request]]
path = "/b"

[[driver]]
name = "w"
kind = "wrk"
threads = 2

[[scenario]]
kind = "concurrency"
connections = [10, 50, 100]
workload = "put"

[[scenario]]
name = "steps"
kind = "stress"
start = 100
step = 50
step_duration = "2s"
p99_objective = "250ms"

[[scenario]]
kind = "low_load"

[[sweep]]
param = "workers"
values = [1, 4, 8]
)",
                              "/x/full.toml");
  EXPECT_EQ(s.name, "full");
  EXPECT_DOUBLE_EQ(s.duration_s, 3);
  EXPECT_DOUBLE_EQ(s.warmup_s, 0.5);
  EXPECT_EQ(s.trials, 5);
  EXPECT_FALSE(s.pin);
  const TargetSpec& t = s.targets[0];
  EXPECT_EQ(t.env.size(), 2u);
  EXPECT_EQ(t.env[1], (std::pair<std::string, std::string>{"LEVEL", "3"}));
  EXPECT_EQ(t.ready.path, "/ready");
  EXPECT_EQ(t.ready.expect_status, 204);
  EXPECT_DOUBLE_EQ(t.startup_timeout_s, 45);
  EXPECT_DOUBLE_EQ(t.stop_grace_s, 1);
  EXPECT_EQ(t.params.at("workers"), "2");
  EXPECT_EQ(s.workloads[0].requests[0].body, "abcdefghijklmnopqrstuvwxyzabcd");
  EXPECT_EQ(s.workloads[0].requests[0].expect_body, "Hello World!");
  ASSERT_EQ(s.workloads[1].requests.size(), 2u);
  EXPECT_EQ(s.workloads[1].requests[0].weight, 3u);
  EXPECT_FALSE(s.workloads[1].keepalive);
  ASSERT_EQ(s.driver_specs.size(), 2u);
  EXPECT_EQ(s.driver_specs[1].kind, DriverKind::wrk);
  EXPECT_EQ(s.driver_specs[1].requires_programs, std::vector<std::string>{"wrk"});
  EXPECT_EQ(s.scenarios[0].connections, (std::vector<int>{10, 50, 100}));
  EXPECT_EQ(s.scenarios[1].name, "steps");
  EXPECT_DOUBLE_EQ(s.scenarios[1].stress_max_rate, 100 + 100 * 50);
  EXPECT_DOUBLE_EQ(*s.scenarios[1].p99_objective_ms, 250);
  EXPECT_DOUBLE_EQ(s.scenarios[2].rate, 10);
  EXPECT_EQ(s.sweeps[0].values, (std::vector<std::string>{"1", "4", "8"}));
}

TEST(Suite, PeersComeFromThePeersFile) {
  const std::string dir = testing::TempDir() + "/suite_peer_test";
  std::filesystem::create_directories(dir + "/suites");
  std::filesystem::create_directories(dir + "/peers");
  std::ofstream(dir + "/peers/peers.json") << R"({"peers": [{"name": "go-http",
    "argv": ["{root}/peers/bin/go-http", "-port", "{port}"], "env": {"A": "{root}"},
    "cwd": "{root}", "ready": "/health",
    "requires": {"python_modules": ["m"], "files": ["{root}/peers/bin/go-http"],
                 "programs": ["go"]}}]})";
  const Suite s = parse_suite(R"(
[[target]]
name = "go"
peer = "go-http"
[[scenario]]
kind = "single"
)",
                              dir + "/suites/p.toml");
  const TargetSpec& t = s.targets[0];
  const std::string root = std::filesystem::path(dir).lexically_normal().string();
  EXPECT_EQ(t.command, (std::vector<std::string>{root + "/peers/bin/go-http", "-port", "{port}"}));
  EXPECT_EQ(t.env[0].second, root);
  EXPECT_EQ(t.cwd, root);
  EXPECT_EQ(t.requires_files, std::vector<std::string>{root + "/peers/bin/go-http"});
  EXPECT_EQ(t.requires_programs, std::vector<std::string>{"go"});
  EXPECT_EQ(t.requires_python_modules, std::vector<std::string>{"m"});

  const std::string bad = std::string(R"(
[[target]]
name = "x"
peer = "no-such-peer"
[[scenario]]
kind = "single"
)");
  try {
    parse_suite(bad, dir + "/suites/p.toml");
    FAIL() << "an unknown peer must be refused";
  } catch (const SuiteError& e) {
    EXPECT_NE(std::string(e.what()).find("p.toml:4: target[0].peer: no peer named"),
              std::string::npos)
        << e.what();
  }
}

TEST(Suite, BadFilesNameTheFileLineAndKey) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::string scenario = "\n[[scenario]]\nkind = \"single\"\n";
  const Case cases[] = {
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\ncomand = [\"y\"]\n" + scenario,
       "s.toml:4: target[0].comand: unknown key"},
      {"[[target]]\nname = \"a\"\n" + scenario,
       "s.toml:1: target[0]: 'command' (an array of strings) or 'peer' is required"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[target]]\nname = \"a\"\ncommand = "
       "[\"y\"]\n" +
           scenario,
       "s.toml:5: target[1].name: duplicate target 'a'"},
      {"[suite]\ntrials = 0\n[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" + scenario,
       "s.toml:2: suite.trials: must be 1..1000"},
      {"[suite]\nduration = \"ten seconds\"\n[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" +
           scenario,
       "s.toml:2: suite.duration: is not a duration"},
      {"[suite]\ntrials = \"3\"\n[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" + scenario,
       "s.toml:2: suite.trials: must be an integer"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\", \"{wokers}\"]\n" + scenario,
       "s.toml:1: target 'a' command: unknown placeholder {wokers}"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"burst\"\n",
       "s.toml:5: scenario[0].kind: must be single, concurrency, rate, stress or low_load"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"concurrency\"\n",
       "s.toml:4: scenario[0]: 'connections' is required"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"concurrency\"\n"
       "connections = [10, 0]\n",
       "s.toml:6: scenario[0].connections: must be 1..100000"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"rate\"\n",
       "s.toml:4: scenario[0]: 'rate' (requests/s) is required"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"stress\"\nstart = "
       "10\n",
       "'start' and 'step' (requests/s) are required"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[scenario]]\nkind = \"single\"\n"
       "workload = \"nope\"\n",
       "s.toml:6: scenario[0].workload: no workload named 'nope'"},
      {"[suite]\ndrivers = [\"k6\"]\n[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" + scenario,
       "suite.drivers: no driver named 'k6'"},
      {"[[driver]]\nname = \"d\"\nkind = \"command\"\n[[target]]\nname = \"a\"\ncommand = "
       "[\"x\"]\n" +
           scenario,
       "s.toml:1: driver[0]: a command driver needs 'command'"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" + scenario +
           "[[sweep]]\nparam = \"workers\"\nvalues = [1, 2]\n",
       "s.toml:7: sweep 'workers': no target's command or env uses {workers}"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n", "a suite needs at least one [[scenario]]"},
      {scenario, "a suite needs at least one [[target]]"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[workload]]\nname = \"w\"\npath = "
       "\"nopath\"\n" +
           scenario,
       "s.toml:6: workload[0].path: must start with '/'"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"]\n[[workload]]\nname = \"w\"\nbody = "
       "\"x\"\nbody_bytes = 3\n" +
           scenario,
       "workload[0]: use one of body, body_file, body_bytes"},
      {"[[target]]\nname = \"a b\"\ncommand = [\"x\"]\n" + scenario,
       "s.toml:2: target[0].name: target names use letters"},
      {"[[target]]\nname = \"a\"\ncommand = [\"x\"\n", "s.toml:3: "},
      {"tagret = 1\n[[target]]\nname = \"a\"\ncommand = [\"x\"]\n" + scenario,
       "s.toml:1: tagret: unknown key"},
  };
  for (const Case& c : cases) {
    const std::string error = error_of(c.text);
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << "suite:\n"
        << c.text << "\nexpected: " << c.expected << "\ngot: " << error;
  }
}

TEST(Suite, MissingFileIsAClearError) {
  try {
    load_suite("/nonexistent/suite.toml");
    FAIL();
  } catch (const SuiteError& e) {
    EXPECT_STREQ(e.what(), "cannot read suite '/nonexistent/suite.toml'");
  }
}

TEST(Suite, ShippedSuitesParse) {
  const std::string dir = std::string(ANVIL_DEFAULT_SOURCE_DIR) + "/suites";
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    const Suite s = load_suite(entry.path().string());
    EXPECT_FALSE(s.targets.empty()) << entry.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 2);
}

}  // namespace
}  // namespace anvil::lab
