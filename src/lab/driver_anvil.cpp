#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "anvil/metrics/histogram_log.hpp"
#include "driver_kinds.hpp"

// The built-in driver: `anvil load` run as a child (its CPU sampled apart from the lab's, and
// pinned), its --json result read back with the whole latency histogram.
namespace anvil::lab {

namespace {

std::string toml_string(const std::string& text) {
  nlohmann::json j = text;  // JSON string escapes are valid TOML basic-string escapes
  return j.dump(-1, ' ', true);
}

}  // namespace

std::string url_of(const DriverTarget& target, const std::string& path) {
  const std::string host =
      target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
  return "http://" + host + ":" + std::to_string(target.port) + path;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

std::string seconds_text(double seconds) {
  std::ostringstream out;
  out << seconds << "s";
  return out.str();
}

DriverInvocation anvil_invocation(const DriverSpec& driver, const WorkloadSpec& workload,
                                  const LoadShape& shape, const DriverTarget& target, int replica) {
  if (workload.requests.empty()) throw std::invalid_argument("the workload has no request");
  DriverInvocation inv;
  const std::string prefix = target.work_dir + "/anvil-" + std::to_string(replica);
  inv.output_path = prefix + ".json";
  inv.stdout_path = prefix + ".out";
  const WorkloadRequest& first = workload.requests.front();
  auto& a = inv.argv;
  a = {target.anvil_binary,
       "load",
       url_of(target, first.path),
       "--no-progress",
       "-t",
       std::to_string(driver.threads),
       "-c",
       std::to_string(shape.connections),
       "-d",
       seconds_text(shape.duration_s),
       "--timeout",
       seconds_text(shape.timeout_s),
       "--json",
       inv.output_path};
  if (shape.warmup_s > 0) {
    a.push_back("--warmup");
    a.push_back(seconds_text(shape.warmup_s));
  }
  if (shape.mode == LoadShape::Mode::rate) {
    const int replicas = std::max(1, driver.replicas);
    a.push_back("-R");
    std::ostringstream rate;
    rate << shape.rate / replicas;
    a.push_back(rate.str());
  }
  if (!workload.keepalive) a.push_back("--no-keepalive");
  if (workload.requests.size() == 1) {
    a.push_back("-m");
    a.push_back(first.method);
    for (const auto& [name, value] : first.headers) {
      a.push_back("-H");
      a.push_back(name + ": " + value);
    }
    if (!first.body.empty()) {
      const std::string body_path = prefix + ".body";
      write_text_file(body_path, first.body);
      a.push_back("--body-file");
      a.push_back(body_path);
    }
  } else {
    std::string mix;
    for (size_t i = 0; i < workload.requests.size(); ++i) {
      const WorkloadRequest& r = workload.requests[i];
      mix += "[[request]]\nmethod = " + toml_string(r.method) + "\npath = " + toml_string(r.path) +
             "\nweight = " + std::to_string(r.weight) + "\n";
      if (!r.body.empty()) {
        const std::string body_path = prefix + "-" + std::to_string(i) + ".body";
        write_text_file(body_path, r.body);
        mix += "body_file = " + toml_string(body_path) + "\n";
      }
      if (!r.headers.empty()) {
        mix += "headers = {";
        for (size_t h = 0; h < r.headers.size(); ++h) {
          mix += (h ? ", " : " ") + toml_string(r.headers[h].first) + " = " +
                 toml_string(r.headers[h].second);
        }
        mix += " }\n";
      }
    }
    const std::string mix_path = prefix + "-mix.toml";
    write_text_file(mix_path, mix);
    a.push_back("--requests-file");
    a.push_back(mix_path);
  }
  return inv;
}

DriverResult parse_anvil_result(const DriverInvocation& invocation) {
  const std::string text = read_text_file(invocation.output_path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
    DriverResult r;
    r.requests = j.at("requests").get<uint64_t>();
    r.successes = j.at("successes").get<uint64_t>();
    r.duration_s = j.at("duration_s").get<double>();
    r.rps = r.duration_s > 0 ? static_cast<double>(r.successes) / r.duration_s : 0;
    for (const auto& [name, count] : j.at("errors").items()) {
      if (count.get<uint64_t>() > 0) r.errors[name] = count.get<uint64_t>();
    }
    r.histogram = metrics::decode_compressed_base64(j.at("latency_histogram").get<std::string>());
    r.latency = summarize_histogram(*r.histogram);
    r.client_bound = j.at("client_bound").get<bool>();
    if (r.client_bound && j.at("client_bound_reason").is_string()) {
      r.client_bound_reason = j.at("client_bound_reason").get<std::string>();
    }
    for (const auto& w : j.at("warnings"))
      r.warnings.push_back(w.get<std::string>());
    return r;
  } catch (const std::exception& e) {
    throw std::runtime_error("anvil load output " + invocation.output_path + ": " + e.what() +
                             " (" + text.substr(0, 200) + ")");
  }
}

}  // namespace anvil::lab
