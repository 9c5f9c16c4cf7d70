#pragma once

// Shared pieces of the `anvil load` integration tests: the test server as a process, one anvil
// run with its parsed JSON report, and checks of the report's internal consistency.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include <string_view>
#include <utility>
#include <vector>
#include "anvil/metrics/histogram_log.hpp"

#include "support/process.hpp"

namespace anvil::test {

using json = nlohmann::json;

// anvil-test-server running on a kernel-chosen port; stop() returns its own counters.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> args, std::string host = "127.0.0.1")
      : host_(host), proc_(argv(std::move(args), host)) {
    port_ = proc_.read_port();
  }

  int port() const noexcept { return port_; }

  // http://127.0.0.1:PORT/path (brackets around an IPv6 host, RFC 3986 section 3.2.2).
  std::string url(std::string_view path = "/", std::string_view scheme = "http") const {
    const bool v6 = host_.find(':') != std::string::npos;
    return std::string(scheme) + "://" + (v6 ? "[" + host_ + "]" : host_) + ":" +
           std::to_string(port_) + std::string(path);
  }

  // SIGTERM; the server prints its counters as its last stdout line and exits 0.
  json stop() {
    const int code = proc_.terminate(5s);
    if (code != 0) {
      throw std::runtime_error("test server exited " + std::to_string(code) + ": " + proc_.err());
    }
    std::string text = proc_.out();
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return json::parse(text.substr(text.rfind('\n') + 1));
  }

 private:
  static std::vector<std::string> argv(std::vector<std::string> args, const std::string& host) {
    std::vector<std::string> v{binary_path("anvil-test-server"), "--host", host};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }

  std::string host_;
  Process proc_;
  int port_ = 0;
};

// One finished `anvil load ...` and, when stdout was exactly one JSON object, that report.
struct AnvilRun {
  RunResult result;
  std::vector<std::string> argv;
  json report;  // null unless stdout parsed as one JSON object

  int exit_code() const noexcept { return result.exit_code; }
  double wall_s() const noexcept { return result.wall_s; }
  const std::string& out() const noexcept { return result.out; }
  const std::string& err() const noexcept { return result.err; }

  // For failure messages: the command and what it printed.
  std::string describe() const {
    std::ostringstream s;
    s << "\n  command:";
    for (const auto& a : argv)
      s << ' ' << a;
    s << "\n  exit " << result.exit_code << (result.timed_out ? " (TIMED OUT)" : "") << " after "
      << result.wall_s << " s\n  stdout: " << result.out.substr(0, 4000)
      << "\n  stderr: " << result.err.substr(0, 4000) << '\n';
    return s.str();
  }
};

// Runs `anvil load <args>`; a run still going after `timeout` is killed (and the test fails on
// its exit code).
inline AnvilRun run_anvil(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s) {
  AnvilRun run;
  run.argv = {binary_path("anvil"), "load"};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.result = run_process(run.argv, timeout);
  run.report = json::parse(run.result.out, nullptr, /*allow_exceptions=*/false);
  if (run.report.is_discarded() || !run.report.is_object()) run.report = nullptr;
  return run;
}

// A count from the report, 0 when the key is absent (e.g. a status code never seen).
inline uint64_t count_at(const json& obj, const std::string& key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return 0;
  return obj[key].get<uint64_t>();
}

inline uint64_t status_count(const json& report, const std::string& code) {
  return count_at(report.value("status", json::object()), code);
}

inline uint64_t error_count(const json& report, const std::string& kind) {
  return count_at(report.value("errors", json::object()), kind);
}

// Failed requests (no response): the error classes that are not HTTP status classes.
inline uint64_t failures(const json& report) {
  uint64_t n = 0;
  for (const char* k : {"connect", "read", "write", "timeout", "reset", "parse"}) {
    n += error_count(report, k);
  }
  return n;
}

inline uint64_t responses(const json& report) {
  uint64_t n = 0;
  const json status = report.value("status", json::object());
  for (const auto& [code, count] : status.items()) {
    n += count.get<uint64_t>();
  }
  return n;
}

inline double latency_s(const json& report, const std::string& key) {
  return report.at("latency_us").at(key).get<double>() / 1e6;
}

// The contract's invariants that hold for every report: all fields present, requests equal
// responses plus failures, the status classes match the status table, percentiles ordered.
inline ::testing::AssertionResult consistent(const json& r) {
  if (!r.is_object()) return ::testing::AssertionFailure() << "no JSON report";
  for (const char* key : {"mode", "requests", "duration_s", "rps", "target_rate", "bytes_read",
                          "errors", "status", "latency_us", "latency_histogram",
                          "latency_is_service_time", "client_cpu", "client_bound", "config"}) {
    if (!r.contains(key)) return ::testing::AssertionFailure() << "missing key " << key;
  }
  for (const char* key :
       {"connect", "read", "write", "timeout", "reset", "parse", "status_4xx", "status_5xx"}) {
    if (!r["errors"].contains(key))
      return ::testing::AssertionFailure() << "missing errors." << key;
  }
  const uint64_t requests = r["requests"].get<uint64_t>();
  if (requests != responses(r) + failures(r)) {
    return ::testing::AssertionFailure() << "requests " << requests << " != responses "
                                         << responses(r) << " + failures " << failures(r);
  }
  uint64_t c4 = 0, c5 = 0;
  for (const auto& [code, count] : r["status"].items()) {
    if (code.size() == 3 && code[0] == '4') c4 += count.get<uint64_t>();
    if (code.size() == 3 && code[0] == '5') c5 += count.get<uint64_t>();
  }
  if (c4 != error_count(r, "status_4xx") || c5 != error_count(r, "status_5xx")) {
    return ::testing::AssertionFailure() << "status classes " << c4 << "/" << c5
                                         << " disagree with errors " << r["errors"].dump();
  }
  // The encoded histogram is the same distribution the percentiles were read from.
  const auto decoded =
      anvil::metrics::try_decode_compressed_base64(r["latency_histogram"].get<std::string>());
  if (!decoded.histogram) return ::testing::AssertionFailure() << "latency_histogram undecodable";
  if (decoded.histogram->count() != r["latency_us"]["count"].get<int64_t>()) {
    return ::testing::AssertionFailure() << "latency_histogram holds " << decoded.histogram->count()
                                         << " values, count " << r["latency_us"]["count"];
  }
  if (responses(r) > 0) {
    double prev = 0;
    for (const char* key : {"min", "p50", "p90", "p95", "p99", "p99_9", "p99_99", "max"}) {
      const double v = r["latency_us"].at(key).get<double>();
      if (v < prev) {
        return ::testing::AssertionFailure()
               << "latency percentiles out of order at " << key << ": " << r["latency_us"].dump();
      }
      prev = v;
    }
  }
  return ::testing::AssertionSuccess();
}

// A port nothing listens on: bound by us (so the kernel picked a free one), then closed.
inline int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot reserve a port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "anvil-int-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }

  std::string write(std::string_view name, std::string_view content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace anvil::test
