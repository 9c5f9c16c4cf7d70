#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "anvil/metrics/histogram_log.hpp"
#include "driver_detail.hpp"

// A user's own load program (docs/lab-drivers.md): placeholders in its argv, one JSON line on
// its stdout.
namespace anvil::lab::detail {

namespace {

std::string substitute(std::string arg,
                       const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  size_t pos = 0;
  while (pos < arg.size()) {
    const size_t open = arg.find('{', pos);
    if (open == std::string::npos) break;
    const size_t close = arg.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = arg.substr(open + 1, close - open - 1);
    const auto it = std::find_if(values.begin(), values.end(),
                                 [&](const auto& kv) { return kv.first == name; });
    out += arg.substr(pos, open - pos);
    if (it != values.end()) {
      out += it->second;
    } else {
      out += arg.substr(open, close - open + 1);  // not ours: the program's own braces
    }
    pos = close + 1;
  }
  out += arg.substr(std::min(pos, arg.size()));
  return out;
}

std::string last_line(const std::string& text) {
  size_t end = text.size();
  while (end > 0) {
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' '))
      --end;
    const size_t start = text.rfind('\n', end == 0 ? 0 : end - 1);
    const size_t from = start == std::string::npos ? 0 : start + 1;
    if (end > from) return text.substr(from, end - from);
    if (start == std::string::npos) break;
    end = start;
  }
  return "";
}

[[noreturn]] void bad_line(const std::string& problem, const std::string& line) {
  throw std::runtime_error("driver program's JSON line: " + problem + ": " + truncate(line));
}

uint64_t count_of(const nlohmann::json& value, const std::string& key, const std::string& line) {
  if (!value.is_number_unsigned()) bad_line("'" + key + "' is not a non-negative integer", line);
  return value.get<uint64_t>();
}

}  // namespace

DriverInvocation build_command(const DriverSpec& driver, const WorkloadSpec& workload,
                               const LoadShape& shape, const DriverTarget& target, int replica) {
  if (driver.command.empty()) {
    throw std::invalid_argument("driver '" + driver.name + "': command is empty");
  }
  const int replicas = std::max(1, driver.replicas);
  const WorkloadRequest& first = workload.requests.front();
  const std::string tag = "command-" + std::to_string(replica);
  DriverInvocation inv;
  inv.stdout_path = scratch_path(target, tag + ".log");
  std::string body_file;
  if (!first.body.empty()) {
    body_file = scratch_path(target, tag + "-body.bin");
    write_file(body_file, first.body);
  }
  const std::string rate =
      shape.mode == LoadShape::Mode::rate ? format_number(shape.rate / replicas) : "0";
  const std::vector<std::pair<std::string, std::string>> values = {
      {"url", base_url(target) + first.path},
      {"host", target.host},
      {"port", std::to_string(target.port)},
      {"path", first.path},
      {"method", first.method},
      {"body_file", body_file},
      {"connections", std::to_string(share_of(shape.connections, replicas, replica))},
      {"rate", rate},
      {"duration_s", format_number(shape.duration_s)},
      {"warmup_s", format_number(shape.warmup_s)},
      {"output", scratch_path(target, tag + ".out")},
  };
  for (const std::string& arg : driver.command)
    inv.argv.push_back(substitute(arg, values));
  return inv;
}

DriverResult parse_command(const DriverInvocation& invocation) {
  const std::string line = last_line(read_file(invocation.stdout_path, "driver program output"));
  if (line.empty()) throw std::runtime_error("driver program printed nothing on stdout");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    bad_line("not JSON", line);
  }
  if (!j.is_object()) bad_line("not a JSON object", line);
  DriverResult r;
  if (!j.contains("requests")) bad_line("'requests' missing", line);
  r.requests = count_of(j["requests"], "requests", line);
  if (j.contains("errors")) {
    if (!j["errors"].is_object()) bad_line("'errors' is not an object", line);
    for (const auto& [name, value] : j["errors"].items()) {
      const uint64_t n = count_of(value, "errors." + name, line);
      if (n > 0) r.errors[name] = n;
    }
  }
  if (j.contains("successes")) {
    r.successes = count_of(j["successes"], "successes", line);
  } else if (j.contains("errors")) {
    if (r.error_count() > r.requests) bad_line("more errors than requests", line);
    r.successes = r.requests - r.error_count();
  } else {
    bad_line("'successes' or 'errors' missing", line);
  }
  if (r.successes > r.requests) bad_line("more successes than requests", line);
  if (!j.contains("duration_s")) bad_line("'duration_s' missing", line);
  if (!j["duration_s"].is_number() || j["duration_s"].get<double>() <= 0) {
    bad_line("'duration_s' is not a positive number", line);
  }
  r.duration_s = j["duration_s"].get<double>();
  if (j.contains("latency_histogram")) {
    if (!j["latency_histogram"].is_string()) bad_line("'latency_histogram' is not a string", line);
    try {
      r.histogram = metrics::decode_compressed_base64(j["latency_histogram"].get<std::string>());
    } catch (const std::exception& e) {
      bad_line(std::string("'latency_histogram': ") + e.what(), line);
    }
    r.latency = summarize_histogram(*r.histogram);
  } else if (j.contains("latency_us")) {
    const auto& l = j["latency_us"];
    if (!l.is_object()) bad_line("'latency_us' is not an object", line);
    const std::pair<const char*, std::optional<double> LatencySummary::*> fields[] = {
        {"p50", &LatencySummary::p50},    {"p90", &LatencySummary::p90},
        {"p95", &LatencySummary::p95},    {"p99", &LatencySummary::p99},
        {"p99_9", &LatencySummary::p999}, {"max", &LatencySummary::max},
        {"mean", &LatencySummary::mean}};
    for (const auto& [key, field] : fields) {
      if (!l.contains(key)) continue;
      if (!l[key].is_number())
        bad_line(std::string("'latency_us.") + key + "' is not a number", line);
      r.latency.*field = l[key].get<double>();
    }
  }
  finish_result(r);
  return r;
}

}  // namespace anvil::lab::detail
