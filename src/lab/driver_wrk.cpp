#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

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
double to_microseconds(double value, std::string_view unit) {
  if (unit == "us") return value;
  if (unit == "ms") return value * 1e3;
  if (unit == "s") return value * 1e6;
  if (unit == "m") return value * 60e6;
  if (unit == "h") return value * 3600e6;
  throw std::runtime_error("wrk output: unknown time unit '" + std::string(unit) + "'");
}

// A cursor over one line of wrk's report: numbers, times and literal words in order.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    skip_spaces();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::optional<double> number() {
    skip_spaces();
    double value = 0;
    const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (ec != std::errc{}) return std::nullopt;
    pos_ = static_cast<size_t>(end - text_.data());
    return value;
  }
  std::optional<uint64_t> count() {
    skip_spaces();
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (ec != std::errc{}) return std::nullopt;
    pos_ = static_cast<size_t>(end - text_.data());
    return value;
  }
  std::optional<double> time_us() {
    const std::optional<double> value = number();
    if (!value) return std::nullopt;
    const size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    return to_microseconds(*value, text_.substr(start, pos_ - start));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return lines;
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
  // wrk reports a script it cannot load and then runs plain GETs anyway: that is not the
  // workload, so the run must fail rather than measure the wrong requests.
  if (const auto at = text.find(": cannot open "); at != std::string::npos) {
    throw std::runtime_error("wrk could not load its script: " +
                             truncate(text.substr(0, at + 200)));
  }
  if (text.find("Requests/sec:") == std::string::npos) {
    throw std::runtime_error("wrk output has no 'Requests/sec' line: " + truncate(text));
  }
  DriverResult r;
  std::optional<uint64_t> completed;
  uint64_t non_success = 0;
  uint64_t failed = 0;
  bool thread_latency_seen = false;
  for (const std::string_view line : lines_of(text)) {
    Scanner s(line);
    if (const auto total = s.count(); total && s.literal("requests in")) {
      const auto window = s.time_us();
      if (!window) throw std::runtime_error("wrk output: bad line: " + truncate(line));
      completed = *total;
      r.duration_s = *window / 1e6;
    } else if (Scanner t(line); t.literal("Non-2xx or 3xx responses:")) {
      const auto status_errors = t.count();
      if (!status_errors) throw std::runtime_error("wrk output: bad line: " + truncate(line));
      non_success = *status_errors;
    } else if (Scanner e(line); e.literal("Socket errors:")) {
      for (const char* error : {"connect", "read", "write", "timeout"}) {
        if (!e.literal(error)) throw std::runtime_error("wrk output: bad line: " + truncate(line));
        const auto socket_errors = e.count();
        if (!socket_errors) throw std::runtime_error("wrk output: bad line: " + truncate(line));
        e.literal(",");
        if (*socket_errors > 0) r.errors[error] = *socket_errors;
        // wrk counts a request that runs past --timeout, and again as completed if it ends.
        if (std::string_view(error) != "timeout") failed += *socket_errors;
      }
    } else if (Scanner l(line); !thread_latency_seen && l.literal("Latency")) {
      // "Latency  Avg  Stdev  Max  +/- Stdev"; "Latency Distribution" has no numbers.
      const auto mean = l.time_us();
      const auto stdev = l.time_us();
      const auto max = l.time_us();
      if (mean && stdev && max) {
        r.latency.mean = mean;
        r.latency.max = max;
        thread_latency_seen = true;
      }
    } else {
      const std::pair<std::string_view, std::optional<double> LatencySummary::*> percentiles[] = {
          {"50%", &LatencySummary::p50},
          {"90%", &LatencySummary::p90},
          {"99%", &LatencySummary::p99}};
      for (const auto& [label, field] : percentiles) {
        Scanner p(line);
        if (p.literal(label)) {
          r.latency.*field = p.time_us();
          break;
        }
      }
    }
  }
  if (!completed) {
    throw std::runtime_error("wrk output has no 'N requests in T' line: " + truncate(text));
  }
  if (non_success > *completed) throw std::runtime_error("wrk output: more errors than requests");
  if (non_success > 0) r.errors["status"] = non_success;
  r.requests = *completed + failed;
  r.successes = *completed - non_success;
  r.latency.from_histogram = false;
  finish_result(r);
  return r;
}

}  // namespace anvil::lab::detail
