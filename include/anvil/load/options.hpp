#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "anvil/http/url.hpp"

namespace anvil::load {

// The deepest --pipeline a connection accepts.
inline constexpr int kMaxPipelineDepth = 128;

// How requests are paced. See docs/methodology.md for why only `rate` measures user latency.
enum class Mode : uint8_t {
  closed,  // each connection sends the next request when the previous answer arrives
  rate,    // open loop: a schedule of intended send times; latency from the intended time
  users,   // closed loop per user with think time between requests (Locust's between())
};
const char* to_string(Mode mode) noexcept;

// One piece of a k6-style ramp: over `duration_ns`, move linearly to `target` (requests/s in
// rate mode, active users in users mode).
struct Stage {
  int64_t duration_ns = 0;
  double target = 0;
};

// One kind of request in the mix; weights are relative (the AIStore study's client is
// {PUT / "test", 1} and {GET /, 1}).
struct RequestTemplate {
  std::string method = "GET";
  std::string target;  // empty: the URL's path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t weight = 1;
};

// A threshold such as `p99<200ms` or `errors<1%`, checked after the run.
struct Threshold {
  std::string text;    // as the user wrote it, for the breach message
  std::string metric;  // p50 p90 p95 p99 p99.9 p99.99 max min mean | errors | rps
  std::string op;      // < <= > >=
  double value = 0;    // microseconds for latency, a fraction for "errors" given in %, else a count
  bool percent = false;  // errors given as a percentage of requests
};

// A validated `anvil load` configuration; built by the CLI, also by the lab.
struct LoadOptions {
  http::Url url;
  Mode mode = Mode::closed;
  int threads = 1;
  int connections = 64;
  int pipeline = 1;
  bool keepalive = true;
  bool insecure = false;  // accept any TLS certificate (like curl -k)

  int64_t duration_ns = 10'000'000'000;
  int64_t warmup_ns = 0;
  int64_t timeout_ns = 5'000'000'000;
  std::optional<uint64_t> request_count;  // stop after exactly this many requests

  double rate = 0;  // requests/s over all threads (rate mode)
  int users = 0;    // users mode
  int64_t think_min_ns = 0;
  int64_t think_max_ns = 0;
  double spawn_rate = 0;      // users started per second; 0: all at once
  std::vector<Stage> stages;  // empty: constant rate/users for duration_ns

  std::vector<RequestTemplate> requests;  // at least one

  std::string json_path;  // "" none, "-" stdout
  std::string hlog_path;
  bool print_spectrum = false;
  bool progress = true;
  std::vector<Threshold> thresholds;

  // Total measured time: the stages' sum when ramping, else duration_ns.
  int64_t measured_ns() const noexcept;
};

}  // namespace anvil::load
