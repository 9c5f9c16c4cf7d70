#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "anvil/lab/process_group.hpp"
#include "anvil/lab/tree_sampler.hpp"

namespace anvil::lab {
namespace {

using Clock = std::chrono::steady_clock;

std::string binary_dir() {
  const char* dir = std::getenv("ANVIL_BINARY_DIR");
  return dir ? dir : ".";
}

std::string temp_dir(const std::string& name) {
  const std::string dir =
      testing::TempDir() + "/lab_process_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool group_alive(pid_t pgid) {
  return group_has_live_members(pgid);
}

bool eventually(const std::function<bool()>& condition, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

ProcessGroup start_sh(const std::string& script, const std::string& log = "",
                      std::vector<std::pair<std::string, std::string>> env = {},
                      const std::string& cwd = "") {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.log_path = log;
  spec.env = std::move(env);
  spec.cwd = cwd;
  return ProcessGroup::start(spec);
}

TEST(ProcessGroup, OutputGoesToTheLogWithEnvAndCwd) {
  const std::string dir = temp_dir("log");
  const std::string log = dir + "/out.log";
  ProcessGroup p = start_sh("echo out:$ANVIL_LAB_TEST; echo err >&2; pwd", log,
                            {{"ANVIL_LAB_TEST", "value 1"}}, dir);
  ASSERT_TRUE(p.wait_for(10));
  EXPECT_EQ(p.exit_code(), 0);
  EXPECT_EQ(p.describe_exit(), "exited with status 0");
  const std::string text = read_file(log);
  EXPECT_NE(text.find("out:value 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("err\n"), std::string::npos) << text;
  EXPECT_NE(text.find(std::filesystem::canonical(dir).string()), std::string::npos) << text;
}

TEST(ProcessGroup, ItsOwnProcessGroup) {
  ProcessGroup p = start_sh("sleep 5");
  EXPECT_EQ(::getpgid(p.pid()), p.pid());
  EXPECT_NE(::getpgid(p.pid()), ::getpgrp());
  EXPECT_TRUE(p.stop(2));
}

TEST(ProcessGroup, LaunchErrorsNameTheProgram) {
  ProcessSpec missing;
  missing.argv = {"/nonexistent/anvil-no-such-program", "--port", "1"};
  try {
    ProcessGroup::start(missing);
    FAIL() << "a missing program must not start";
  } catch (const LaunchError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot start '/nonexistent/anvil-no-such-program': cannot execute: No such "
                 "file or directory");
  }
  ProcessSpec not_in_path;
  not_in_path.argv = {"anvil-no-such-program-in-path"};
  EXPECT_THROW(ProcessGroup::start(not_in_path), LaunchError);
  ProcessSpec bad_cwd;
  bad_cwd.argv = {"true"};
  bad_cwd.cwd = "/nonexistent/dir";
  try {
    ProcessGroup::start(bad_cwd);
    FAIL();
  } catch (const LaunchError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot enter working directory '/nonexistent/dir'"),
              std::string::npos)
        << e.what();
  }
  ProcessSpec empty;
  EXPECT_THROW(ProcessGroup::start(empty), LaunchError);
  ProcessSpec bad_log;
  bad_log.argv = {"true"};
  bad_log.log_path = "/nonexistent/dir/log";
  EXPECT_THROW(ProcessGroup::start(bad_log), LaunchError);
}

TEST(ProcessGroup, ExitStatusAndCrash) {
  ProcessGroup exits = start_sh("exit 3");
  ASSERT_TRUE(exits.wait_for(10));
  EXPECT_EQ(exits.exit_code(), 3);
  EXPECT_EQ(exits.describe_exit(), "exited with status 3");
  ProcessGroup crashes = start_sh("sleep 0.2; kill -SEGV $$");
  EXPECT_TRUE(crashes.running());
  ASSERT_TRUE(crashes.wait_for(10));
  EXPECT_FALSE(crashes.exit_code().has_value());
  EXPECT_EQ(crashes.describe_exit(), "killed by signal 11 (SIGSEGV)");
}

TEST(ProcessGroup, StopEndsChildrenAndGrandchildren) {
  ProcessGroup p = start_sh("sh -c 'sleep 60 & sleep 60 & wait' & sleep 60 & wait");
  const pid_t pgid = p.pid();
  ASSERT_TRUE(eventually([&] { return TreeSampler::read_tree(pgid).processes >= 5; }, 5));
  EXPECT_TRUE(p.stop(3));
  EXPECT_FALSE(group_alive(pgid));
  EXPECT_EQ(p.describe_exit(), "killed by signal 15 (SIGTERM)");
}

TEST(ProcessGroup, IgnoringSigtermGetsSigkillAfterTheGrace) {
  ProcessGroup p = start_sh("trap '' TERM; while :; do sleep 0.05; done");
  const pid_t pgid = p.pid();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = Clock::now();
  EXPECT_FALSE(p.stop(0.5)) << "the grace period ran out";
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5);
  EXPECT_FALSE(group_alive(pgid));
  EXPECT_EQ(p.describe_exit(), "killed by signal 9 (SIGKILL)");
  EXPECT_TRUE(p.stop(1)) << "a second stop is harmless";
}

TEST(ProcessGroup, DestructorStopsTheGroup) {
  pid_t pgid = 0;
  {
    ProcessGroup p = start_sh("sleep 60 & wait");
    pgid = p.pid();
    ASSERT_TRUE(group_alive(pgid));
  }
  EXPECT_FALSE(group_alive(pgid));
}

// The lab killed with SIGKILL cannot stop anything itself: the watchdog must.
TEST(ProcessGroup, ChildrenDoNotOutliveALabKilledWithSigkill) {
  const std::string dir = temp_dir("watchdog");
  const std::string out = dir + "/lab.out";
  const pid_t lab = ::fork();
  ASSERT_GE(lab, 0);
  if (lab == 0) {
    // A stand-in for `anvil run`: starts a group and waits to be killed.
    try {
      ProcessGroup p = start_sh("sleep 300 & sleep 300 & wait");
      std::ofstream(out) << p.pid() << "\n";
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  pid_t pgid = 0;
  ASSERT_TRUE(eventually(
      [&] {
        std::ifstream in(out);
        return static_cast<bool>(in >> pgid) && pgid > 0;
      },
      10));
  ASSERT_TRUE(eventually([&] { return TreeSampler::read_tree(pgid).processes >= 3; }, 5));
  ::kill(lab, SIGKILL);
  int status = 0;
  ::waitpid(lab, &status, 0);
  EXPECT_TRUE(eventually([&] { return !group_alive(pgid); }, 10))
      << "the group of a dead lab must be stopped by its watchdog";
}

TEST(ProcessGroup, ReleasedWatchdogSignalsNothing) {
  // After a normal stop the watchdog exits without touching the (now free) group id.
  ProcessGroup p = start_sh("exit 0");
  ASSERT_TRUE(p.wait_for(10));
  EXPECT_TRUE(p.stop(1));
  EXPECT_EQ(p.describe_exit(), "exited with status 0");
}

TEST(LogTail, LastLines) {
  const std::string dir = temp_dir("tail");
  const std::string log = dir + "/log";
  {
    std::ofstream out(log);
    for (int i = 1; i <= 1000; ++i)
      out << "line " << i << "\n";
  }
  EXPECT_EQ(log_tail(log, 3), "line 998\nline 999\nline 1000");
  EXPECT_EQ(log_tail(log, 1), "line 1000");
  std::ofstream(dir + "/short") << "only\n";
  EXPECT_EQ(log_tail(dir + "/short", 5), "only");
  EXPECT_EQ(log_tail(dir + "/missing", 5), "");
}

TEST(PickFreePort, GivesABindablePort) {
  const int port = pick_free_port();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

class TestServer {
 public:
  explicit TestServer(const std::string& extra = "") {
    port_ = pick_free_port();
    ProcessSpec spec;
    spec.argv = {binary_dir() + "/etl-hello", "--standalone", "--host", "127.0.0.1", "--port",
                 std::to_string(port_)};
    if (!extra.empty()) spec.argv.push_back(extra);
    process_.emplace(ProcessGroup::start(spec));
  }
  int port() const { return port_; }
  ProcessGroup& process() { return *process_; }

 private:
  int port_ = 0;
  std::optional<ProcessGroup> process_;
};

TEST(HttpExchange, TalksToARealServer) {
  TestServer server;
  ASSERT_EQ(
      wait_until_ready(server.process(), "127.0.0.1", server.port(), "GET", "/health", 200, 20),
      "");
  HttpExchange health = http_exchange("127.0.0.1", server.port(), "GET", "/health", "", {}, 5);
  EXPECT_TRUE(health.ok) << health.error;
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "Running");
  HttpExchange put = http_exchange("127.0.0.1", server.port(), "PUT", "/obj", "abcd",
                                   {{"Content-Type", "application/octet-stream"}}, 5);
  EXPECT_TRUE(put.ok) << put.error;
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(put.body, "Hello World!");
  HttpExchange not_allowed = http_exchange("127.0.0.1", server.port(), "DELETE", "/x", "", {}, 5);
  EXPECT_TRUE(not_allowed.ok);
  EXPECT_EQ(not_allowed.status, 405);
}

TEST(HttpExchange, RefusedAndSilentServers) {
  const int port = pick_free_port();
  HttpExchange refused = http_exchange("127.0.0.1", port, "GET", "/", "", {}, 2);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.error, "Connection refused");
  // A listener that never accepts: the kernel completes the handshake, nobody answers.
  const int silent_port = pick_free_port();
  ProcessGroup silent = start_sh(
      "exec python3 -c 'import socket,time; s=socket.socket(); "
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
      "s.bind((\"127.0.0.1\"," +
      std::to_string(silent_port) + ")); s.listen(8); time.sleep(60)'");
  ASSERT_TRUE(eventually(
      [&] {
        return http_exchange("127.0.0.1", silent_port, "GET", "/", "", {}, 0.2).error !=
               "Connection refused";
      },
      10));
  const auto start = Clock::now();
  HttpExchange x = http_exchange("127.0.0.1", silent_port, "GET", "/", "", {}, 0.5);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_FALSE(x.ok);
  EXPECT_EQ(x.error, "timeout waiting for the response");
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 3);
}

TEST(WaitUntilReady, ReadyEarlyExitAndTimeout) {
  TestServer server;
  EXPECT_EQ(
      wait_until_ready(server.process(), "127.0.0.1", server.port(), "GET", "/health", 200, 20),
      "");
  ProcessGroup early = start_sh("exit 7");
  EXPECT_EQ(wait_until_ready(early, "127.0.0.1", pick_free_port(), "GET", "/health", 200, 10),
            "exited with status 7 before it was ready");
  ProcessGroup never = start_sh("sleep 30");
  const auto start = Clock::now();
  const std::string why =
      wait_until_ready(never, "127.0.0.1", pick_free_port(), "GET", "/health", 200, 0.5);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(why, "not ready after 0.5 s: Connection refused");
  EXPECT_LT(took, 3);
  // Answers, but not the expected status.
  TestServer wrong;
  const std::string status =
      wait_until_ready(wrong.process(), "127.0.0.1", wrong.port(), "GET", "/health", 204, 1);
  EXPECT_EQ(status, "not ready after 1 s: status 200");
}

TEST(TreeSampler, SamplesATreeWithBusyChildren) {
  ProcessGroup p = start_sh("for i in 1 2 3; do (while :; do :; done) & done; sleep 30 & wait");
  ASSERT_TRUE(eventually([&] { return TreeSampler::read_tree(p.pid()).processes >= 5; }, 5));
  TreeSampler sampler(p.pid(), 20);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const std::vector<ResourceSample> samples = sampler.stop();
  ASSERT_GE(samples.size(), 12u) << "at least 10 Hz";
  EXPECT_DOUBLE_EQ(samples.front().cpu_user_s + samples.front().cpu_sys_s, 0);
  EXPECT_GE(samples.back().processes, 5u);
  EXPECT_GE(samples.back().threads, 5u);
  EXPECT_GT(samples.back().rss_bytes, 1u << 20);
  for (size_t i = 1; i < samples.size(); ++i) {
    EXPECT_GE(samples[i].t_s, samples[i - 1].t_s);
    EXPECT_GE(samples[i].cpu_user_s + samples[i].cpu_sys_s,
              samples[i - 1].cpu_user_s + samples[i - 1].cpu_sys_s - 1e-9);
  }
  const ResourceSummary s = summarize(samples);
  // Three busy loops on a shared machine: at least most of one core, at most all cores.
  EXPECT_GT(s.cpu_mean_pct, 50);
  EXPECT_LT(s.cpu_mean_pct, 100.0 * std::thread::hardware_concurrency() + 30);
  EXPECT_GT(s.ctx_voluntary_per_s + s.ctx_involuntary_per_s, 0);
  EXPECT_GE(s.processes_peak, 5u);
  p.stop(2);
}

TEST(TreeSampler, CountsHoldWhenTheTreeExits) {
  // A driver burns CPU, then exits while the sampler still runs: what it used stays counted.
  // A fixed amount of work (about 0.6 s of CPU here), not a fixed time, so a busy machine
  // stretches the run instead of shrinking what there is to count.
  ProcessGroup p = start_sh("i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done");
  TreeSampler sampler(p.pid(), 20);
  sampler.start();
  ASSERT_TRUE(p.wait_for(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const std::vector<ResourceSample> samples = sampler.stop();
  ASSERT_GE(samples.size(), 4u);
  EXPECT_EQ(samples.back().processes, 0u) << "the tree is gone";
  EXPECT_GT(samples.back().cpu_user_s + samples.back().cpu_sys_s, 0.2);
  const ResourceSummary s = summarize(samples);
  EXPECT_GT(s.cpu_mean_pct, 5);
  for (size_t i = 1; i < samples.size(); ++i) {
    EXPECT_GE(samples[i].cpu_user_s, samples[i - 1].cpu_user_s);
    EXPECT_GE(samples[i].ctx_voluntary, samples[i - 1].ctx_voluntary);
  }
}

TEST(TreeSampler, EmptyTreeOfAGoneProcess) {
  ProcessGroup p = start_sh("exit 0");
  ASSERT_TRUE(p.wait_for(10));
  const pid_t gone = p.pid();
  p.stop(1);
  const ResourceSample s = TreeSampler::read_tree(gone);
  EXPECT_EQ(s.processes, 0u);
  EXPECT_EQ(s.rss_bytes, 0u);
}

TEST(Summarize, MeanPeakAndRates) {
  std::vector<ResourceSample> samples;
  // 2 s: the first second idle, the second second one full core; RSS peaks at 300.
  for (int i = 0; i <= 20; ++i) {
    ResourceSample s;
    s.t_s = i * 0.1;
    s.cpu_user_s = i <= 10 ? 0 : (i - 10) * 0.075;
    s.cpu_sys_s = i <= 10 ? 0 : (i - 10) * 0.025;
    s.rss_bytes = i == 7 ? 300 : 100;
    s.threads = 4;
    s.processes = 2;
    s.ctx_voluntary = static_cast<uint64_t>(i) * 10;
    s.ctx_involuntary = static_cast<uint64_t>(i);
    samples.push_back(s);
  }
  const ResourceSummary s = summarize(samples);
  EXPECT_NEAR(s.duration_s, 2, 1e-9);
  EXPECT_NEAR(s.cpu_user_s, 0.75, 1e-9);
  EXPECT_NEAR(s.cpu_sys_s, 0.25, 1e-9);
  EXPECT_NEAR(s.cpu_mean_pct, 50, 1e-9);
  EXPECT_NEAR(s.cpu_peak_pct, 100, 1e-6);
  EXPECT_EQ(s.rss_peak_bytes, 300u);
  EXPECT_EQ(s.threads_peak, 4u);
  EXPECT_EQ(s.processes_peak, 2u);
  EXPECT_NEAR(s.ctx_voluntary_per_s, 100, 1e-9);
  EXPECT_NEAR(s.ctx_involuntary_per_s, 10, 1e-9);
  EXPECT_EQ(s.sample_count, 21u);
  EXPECT_EQ(summarize({}).sample_count, 0u);
}

}  // namespace
}  // namespace anvil::lab
