#include <algorithm>
#include <cstdio>
#include <optional>
#include <regex>
#include <stdexcept>

#include "driver_detail.hpp"

// wrk 4.1 (Debian): closed loop only, a Lua script for anything but a plain GET, its text
// report parsed. wrk has no warm-up: the orchestrator warms the target up before it starts.
namespace anvil::lab::detail {

namespace {

// A Lua string literal that carries any bytes (decimal escapes for the unprintable).
std::string lua_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\%03u", static_cast<unsigned>(byte));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string lua_headers(const WorkloadRequest& r, bool keepalive) {
  std::string out = "{";
  for (const auto& [name, value] : r.headers)
    out += "[" + lua_string(name) + "] = " + lua_string(value) + ", ";
  // wrk reconnects after a response to "Connection: close".
  if (!keepalive) out += "[\"Connection\"] = \"close\", ";
  return out + "}";
}

// The same smooth weighted round robin as anvil load's mix, so both drivers send the same
// sequence.
std::vector<size_t> interleave(const std::vector<WorkloadRequest>& requests) {
  uint64_t total = 0;
  for (const auto& r : requests)
    total += r.weight;
  constexpr uint64_t kMaxTotalWeight = 10'000;
  if (total == 0 || total > kMaxTotalWeight) {
    throw std::invalid_argument("wrk driver: request weights must add up to 1..10000");
  }
  std::vector<int64_t> current(requests.size(), 0);
  std::vector<size_t> order;
  for (uint64_t n = 0; n < total; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      current[i] += requests[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= static_cast<int64_t>(total);
    order.push_back(best);
  }
  return order;
}

std::string lua_script(const WorkloadSpec& workload) {
  if (workload.requests.size() == 1) {
    const WorkloadRequest& r = workload.requests.front();
    std::string s = "wrk.method = " + lua_string(r.method) + "\n";
    if (!r.body.empty()) s += "wrk.body = " + lua_string(r.body) + "\n";
    s += "wrk.headers = " + lua_headers(r, workload.keepalive) + "\n";
    return s;
  }
  std::string s = "local requests = {\n";
  for (const WorkloadRequest& r : workload.requests) {
    s += "  wrk.format(" + lua_string(r.method) + ", " + lua_string(r.path) + ", " +
         lua_headers(r, workload.keepalive) + ", " + (r.body.empty() ? "nil" : lua_string(r.body)) +
         "),\n";
  }
  s += "}\nlocal order = {";
  for (const size_t i : interleave(workload.requests))
    s += std::to_string(i + 1) + ",";
  s += "}\nlocal next = 0\n";
  s += "function request()\n  next = next % #order + 1\n  return requests[order[next]]\nend\n";
  return s;
}

bool needs_script(const WorkloadSpec& workload) {
  if (workload.requests.size() > 1 || !workload.keepalive) return true;
  const WorkloadRequest& r = workload.requests.front();
  return r.method != "GET" || !r.body.empty() || !r.headers.empty();
}

// wrk prints times as 41.00us, 1.20ms, 2.00s, 1.00m, 1.00h.
double to_microseconds(double value, const std::string& unit) {
  if (unit == "us") return value;
  if (unit == "ms") return value * 1e3;
  if (unit == "s") return value * 1e6;
  if (unit == "m") return value * 60e6;
  if (unit == "h") return value * 3600e6;
  throw std::runtime_error("wrk output: unknown time unit '" + unit + "'");
}

const std::string kTime = R"(([0-9.]+)(us|ms|s|m|h))";

bool find(const std::string& text, const std::regex& re, std::smatch& match) {
  return std::regex_search(text, match, re);
}

}  // namespace

DriverInvocation build_wrk(const DriverSpec& driver, const WorkloadSpec& workload,
                           const LoadShape& shape, const DriverTarget& target, int replica) {
  if (shape.mode == LoadShape::Mode::rate) {
    throw std::invalid_argument("wrk has no constant-rate mode; use the anvil driver");
  }
  const int connections = share_of(shape.connections, std::max(1, driver.replicas), replica);
  const std::string tag = "wrk-" + std::to_string(replica);
  DriverInvocation inv;
  inv.stdout_path = scratch_path(target, tag + ".log");
  // wrk wants at least as many connections as threads.
  const int threads = std::clamp(driver.threads, 1, connections);
  inv.argv = {driver.command.empty() ? "/usr/bin/wrk" : driver.command.front(),
              "-t",
              std::to_string(threads),
              "-c",
              std::to_string(connections),
              "-d",
              std::to_string(whole_seconds(shape.duration_s)) + "s",
              "--latency",
              "--timeout",
              std::to_string(whole_seconds(shape.timeout_s)) + "s"};
  if (needs_script(workload)) {
    const std::string script = scratch_path(target, tag + ".lua");
    write_file(script, lua_script(workload));
    inv.argv.insert(inv.argv.end(), {"-s", script});
  }
  inv.argv.push_back(base_url(target) + workload.requests.front().path);
  return inv;
}

DriverResult parse_wrk(const DriverInvocation& invocation) {
  const std::string text = read_file(invocation.stdout_path, "wrk output");
  std::smatch m;
  if (!find(text, std::regex(R"(Requests/sec:\s+[0-9.]+)"), m)) {
    throw std::runtime_error("wrk output has no 'Requests/sec' line: " + truncate(text));
  }
  if (!find(text, std::regex(R"((\d+) requests in )" + kTime), m)) {
    throw std::runtime_error("wrk output has no 'N requests in T' line: " + truncate(text));
  }
  DriverResult r;
  const uint64_t completed = std::stoull(m[1].str());
  r.duration_s = to_microseconds(std::stod(m[2].str()), m[3].str()) / 1e6;
  uint64_t non_success = 0;
  if (find(text, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"), m)) {
    non_success = std::stoull(m[1].str());
    if (non_success > completed) throw std::runtime_error("wrk output: more errors than requests");
    r.errors["status"] = non_success;
  }
  uint64_t failed = 0;
  if (find(text,
           std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"),
           m)) {
    const char* classes[] = {"connect", "read", "write", "timeout"};
    for (int i = 0; i < 4; ++i) {
      const uint64_t n = std::stoull(m[i + 1].str());
      if (n > 0) r.errors[classes[i]] = n;
      // wrk counts a timeout when a request runs long, and again as completed if it ends.
      if (i < 3) failed += n;
    }
  }
  r.requests = completed + failed;
  r.successes = completed - non_success;
  if (find(text, std::regex(R"(Latency\s+)" + kTime + R"(\s+)" + kTime + R"(\s+)" + kTime), m)) {
    r.latency.mean = to_microseconds(std::stod(m[1].str()), m[2].str());
    r.latency.max = to_microseconds(std::stod(m[5].str()), m[6].str());
  }
  const std::pair<const char*, std::optional<double> LatencySummary::*> percentiles[] = {
      {"50", &LatencySummary::p50}, {"90", &LatencySummary::p90}, {"99", &LatencySummary::p99}};
  for (const auto& [label, field] : percentiles) {
    if (find(text, std::regex(R"(\n\s+)" + std::string(label) + R"(%\s+)" + kTime), m)) {
      r.latency.*field = to_microseconds(std::stod(m[1].str()), m[2].str());
    }
  }
  r.latency.from_histogram = false;
  finish_result(r);
  return r;
}

}  // namespace anvil::lab::detail
