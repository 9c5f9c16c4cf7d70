#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "anvil/metrics/histogram_log.hpp"
#include "driver_detail.hpp"

// The built-in driver: `anvil load` as a child process, its result read from --json.
namespace anvil::lab::detail {

namespace {

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A weighted mix goes through --requests-file (docs/load.md); bodies go to files of their own
// so that binary bodies survive.
std::string write_requests_file(const WorkloadSpec& workload, const DriverTarget& target,
                                int replica) {
  std::string toml;
  for (size_t i = 0; i < workload.requests.size(); ++i) {
    const WorkloadRequest& r = workload.requests[i];
    toml += "[[request]]\n";
    toml += "method = " + toml_string(r.method) + "\n";
    toml += "path = " + toml_string(r.path) + "\n";
    toml += "weight = " + std::to_string(r.weight) + "\n";
    if (!r.body.empty()) {
      const std::string body_path = scratch_path(
          target, "anvil-" + std::to_string(replica) + "-body-" + std::to_string(i) + ".bin");
      write_file(body_path, r.body);
      toml += "body_file = " + toml_string(body_path) + "\n";
    }
    if (!r.headers.empty()) {
      toml += "headers = { ";
      for (size_t h = 0; h < r.headers.size(); ++h) {
        if (h > 0) toml += ", ";
        toml += toml_string(r.headers[h].first) + " = " + toml_string(r.headers[h].second);
      }
      toml += " }\n";
    }
    toml += "\n";
  }
  const std::string path = scratch_path(target, "anvil-" + std::to_string(replica) + ".toml");
  write_file(path, toml);
  return path;
}

uint64_t count_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) {
    throw std::runtime_error(std::string("anvil load --json: '") + key +
                             "' missing or not a count");
  }
  return it->get<uint64_t>();
}

}  // namespace

DriverInvocation build_anvil(const DriverSpec& driver, const WorkloadSpec& workload,
                             const LoadShape& shape, const DriverTarget& target, int replica) {
  if (target.anvil_binary.empty()) throw std::invalid_argument("anvil driver: no anvil binary");
  const int replicas = std::max(1, driver.replicas);
  const int connections = share_of(shape.connections, replicas, replica);
  const WorkloadRequest& first = workload.requests.front();
  const std::string tag = "anvil-" + std::to_string(replica);

  DriverInvocation inv;
  inv.output_path = scratch_path(target, tag + ".json");
  inv.stdout_path = scratch_path(target, tag + ".log");
  auto& a = inv.argv;
  a = {target.anvil_binary, "load", base_url(target) + first.path};
  a.insert(a.end(), {"-c", std::to_string(connections), "-t",
                     std::to_string(std::clamp(driver.threads, 1, connections))});
  if (shape.mode == LoadShape::Mode::rate) {
    a.insert(a.end(), {"-R", format_number(shape.rate / replicas)});
  }
  a.insert(
      a.end(),
      {"-d", milliseconds_arg(shape.duration_s), "--warmup", milliseconds_arg(shape.warmup_s),
       "--timeout", milliseconds_arg(shape.timeout_s), "--json", inv.output_path, "--no-progress"});
  if (workload.requests.size() > 1) {
    a.insert(a.end(), {"--requests-file", write_requests_file(workload, target, replica)});
  } else {
    a.insert(a.end(), {"-m", first.method});
    for (const auto& [name, value] : first.headers)
      a.insert(a.end(), {"-H", name + ": " + value});
    if (!first.body.empty()) {
      const std::string body_path = scratch_path(target, tag + "-body.bin");
      write_file(body_path, first.body);
      a.insert(a.end(), {"--body-file", body_path});
    }
  }
  if (!workload.keepalive) a.push_back("--no-keepalive");
  return inv;
}

DriverResult parse_anvil(const DriverInvocation& invocation) {
  const std::string text = read_file(invocation.output_path, "anvil load result");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("anvil load result '" + invocation.output_path + "' is not JSON: " +
                             e.what() + ": " + truncate(text) + stdout_excerpt(invocation));
  }
  if (!j.is_object()) throw std::runtime_error("anvil load result is not a JSON object");
  DriverResult r;
  r.requests = count_field(j, "requests");
  r.successes = count_field(j, "successes");
  const auto duration = j.find("duration_s");
  if (duration == j.end() || !duration->is_number() || duration->get<double>() < 0) {
    throw std::runtime_error("anvil load --json: 'duration_s' missing or negative");
  }
  r.duration_s = duration->get<double>();
  if (const auto errors = j.find("errors"); errors != j.end() && errors->is_object()) {
    for (const auto& [name, count] : errors->items()) {
      if (!count.is_number_unsigned()) {
        throw std::runtime_error("anvil load --json: errors." + name + " is not a count");
      }
      if (count.get<uint64_t>() > 0) r.errors[name] = count.get<uint64_t>();
    }
  }
  if (const auto h = j.find("latency_histogram"); h != j.end() && h->is_string()) {
    r.histogram = metrics::decode_compressed_base64(h->get<std::string>());
    r.latency = summarize_histogram(*r.histogram);
  }
  if (const auto bound = j.find("client_bound"); bound != j.end() && bound->is_boolean()) {
    r.client_bound = bound->get<bool>();
  }
  if (const auto reason = j.find("client_bound_reason"); reason != j.end() && reason->is_string()) {
    r.client_bound_reason = reason->get<std::string>();
  }
  if (const auto warnings = j.find("warnings"); warnings != j.end() && warnings->is_array()) {
    for (const auto& w : *warnings)
      if (w.is_string()) r.warnings.push_back(w.get<std::string>());
  }
  finish_result(r);
  return r;
}

}  // namespace anvil::lab::detail
