#include "load_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "anvil/core/units.hpp"
#include "anvil/http/multipart.hpp"
#include "anvil/http/url.hpp"
#include "anvil/load/interrupt.hpp"
#include "anvil/load/report.hpp"
#include "anvil/load/request_set.hpp"
#include "anvil/load/runner.hpp"
#include "anvil/load/threshold.hpp"
#include "usage_error.hpp"

namespace anvil::cli {

namespace {

// Raw flag values as typed; validated and converted in build_options().
struct LoadFlags {
  std::string url;
  int threads = 1;
  int connections = 64;
  bool connections_set = false;
  std::string duration;
  std::string requests;
  std::string rate;
  int users = 0;
  std::string think = "0s";
  double spawn_rate = 0;
  std::string stages;
  std::string warmup = "0s";
  std::string timeout = "5s";
  std::string method;
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  std::vector<std::string> forms;
  std::string requests_file;
  bool no_keepalive = false;
  int pipeline = 1;
  bool insecure = false;
  std::string json_path;
  std::string hlog_path;
  std::vector<std::string> thresholds;
  bool latency = false;
  bool no_progress = false;
};

int64_t duration_flag(const std::string& flag, const std::string& text, bool allow_zero) {
  auto ns = core::parse_duration_ns(text);
  if (!ns || (!allow_zero && *ns == 0)) {
    throw UsageError(flag + " '" + text + "' is not a " + (allow_zero ? "" : "positive ") +
                     "duration (e.g. 10s, 500ms, 2m)");
  }
  return *ns;
}

std::vector<load::Stage> parse_stages(const std::string& text) {
  std::vector<load::Stage> stages;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    const size_t colon = item.find(':');
    auto target =
        colon == std::string::npos ? std::nullopt : core::parse_number(item.substr(colon + 1));
    auto duration =
        colon == std::string::npos ? std::nullopt : core::parse_duration_ns(item.substr(0, colon));
    if (!target || !duration || *duration == 0) {
      throw UsageError("--stages item '" + item + "' must be DURATION:TARGET, e.g. 30s:200");
    }
    stages.push_back({*duration, *target});
  }
  if (stages.empty()) throw UsageError("--stages needs at least one DURATION:TARGET");
  return stages;
}

load::LoadOptions build_options(const LoadFlags& f) {
  load::LoadOptions o;
  std::string url_error;
  auto url = http::parse_url(f.url, &url_error);
  if (!url) throw UsageError("bad URL '" + f.url + "': " + url_error);
  o.url = *url;

  if (f.threads < 1 || f.threads > 1024) throw UsageError("--threads must be 1..1024");
  if (f.connections < 1 || f.connections > 1'000'000)
    throw UsageError("--connections must be 1..1000000");
  if (f.pipeline < 1 || f.pipeline > load::kMaxPipelineDepth) {
    throw UsageError("--pipeline must be 1.." + std::to_string(load::kMaxPipelineDepth));
  }
  o.threads = f.threads;
  o.connections = f.connections;
  o.pipeline = f.pipeline;
  o.keepalive = !f.no_keepalive;
  o.insecure = f.insecure;
  if (o.pipeline > 1 && !o.keepalive)
    throw UsageError("--pipeline needs keep-alive (drop --no-keepalive)");

  o.warmup_ns = duration_flag("--warmup", f.warmup, true);
  o.timeout_ns = duration_flag("--timeout", f.timeout, false);
  if (!f.requests.empty()) {
    auto n = core::parse_unsigned(f.requests);
    if (!n || *n == 0) throw UsageError("--requests '" + f.requests + "' must be a positive count");
    o.request_count = *n;
  }
  if (!f.duration.empty()) {
    o.duration_ns = duration_flag("--duration", f.duration, false);
  } else if (o.request_count) {
    o.duration_ns = 0;  // bounded by the count (and each request by --timeout)
  }
  if (!f.stages.empty()) o.stages = parse_stages(f.stages);

  if (!f.rate.empty()) {
    auto rate = core::parse_number(f.rate);
    if (!rate || *rate <= 0 || *rate > 1e8)
      throw UsageError("--rate '" + f.rate + "' must be a number of requests/s in (0, 1e8]");
    o.mode = load::Mode::rate;
    o.rate = *rate;
  }
  if (f.users > 0) {
    if (o.mode == load::Mode::rate)
      throw UsageError("--users and --rate are different modes: choose one");
    o.mode = load::Mode::users;
    o.users = f.users;
    const size_t dots = f.think.find("..");
    const std::string low = dots == std::string::npos ? f.think : f.think.substr(0, dots);
    const std::string high = dots == std::string::npos ? f.think : f.think.substr(dots + 2);
    o.think_min_ns = duration_flag("--think", low, true);
    o.think_max_ns = duration_flag("--think", high, true);
    if (o.think_max_ns < o.think_min_ns)
      throw UsageError("--think '" + f.think + "': the upper bound is below the lower");
    if (f.spawn_rate < 0) throw UsageError("--spawn-rate must be >= 0");
    o.spawn_rate = f.spawn_rate;
  } else if (f.users < 0) {
    throw UsageError("--users must be positive");
  }
  if (!o.stages.empty()) {
    if (o.mode == load::Mode::closed)
      throw UsageError("--stages ramps --rate or --users: give one of them");
    if (!f.duration.empty()) throw UsageError("--stages sets the duration: drop --duration");
    if (o.measured_ns() <= 0) throw UsageError("--warmup must be shorter than the stages");
    for (const auto& s : o.stages) {
      if (o.mode == load::Mode::users && s.target > 1'000'000)
        throw UsageError("--stages: at most 1000000 users");
    }
    if (o.mode == load::Mode::users) {
      double peak = 0;
      for (const auto& s : o.stages)
        peak = std::max(peak, s.target);
      o.users = std::max(o.users, static_cast<int>(peak + 0.999));
    }
  }
  if (o.mode == load::Mode::users) {
    if (o.users < o.threads) o.threads = o.users;  // a thread with no user would idle
    o.connections = o.users;
  } else if (o.connections < o.threads) {
    throw UsageError("--connections (" + std::to_string(o.connections) +
                     ") must be >= --threads (" + std::to_string(o.threads) + ")");
  }

  // The request mix: a file, or one request from the flags.
  if (!f.requests_file.empty()) {
    if (!f.body.empty() || !f.body_file.empty() || !f.forms.empty() || !f.method.empty()) {
      throw UsageError(
          "--requests-file describes every request: drop --method/--body/--body-file/--form");
    }
    try {
      o.requests = load::load_request_file(f.requests_file);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--requests-file: ") + e.what());
    }
  } else {
    load::RequestTemplate t;
    const int bodies = !f.body.empty() + !f.body_file.empty() + !f.forms.empty();
    if (bodies > 1) throw UsageError("give one of --body, --body-file, --form");
    t.method = f.method.empty() ? (bodies ? "POST" : "GET") : f.method;
    if (!f.body.empty()) t.body = f.body;
    if (!f.body_file.empty()) {
      try {
        t.body = load::read_body_file(f.body_file);
      } catch (const std::exception& e) {
        throw UsageError(std::string("--body-file: ") + e.what());
      }
    }
    if (!f.forms.empty()) {
      std::vector<http::FormField> fields;
      for (const auto& form : f.forms) {
        const size_t eq = form.find('=');
        if (eq == std::string::npos || eq == 0)
          throw UsageError("--form '" + form + "' must be name=value or name=@file");
        http::FormField field;
        field.name = form.substr(0, eq);
        std::string value = form.substr(eq + 1);
        if (!value.empty() && value[0] == '@') {
          field.file_path = value.substr(1);
        } else {
          field.value = value;
        }
        fields.push_back(std::move(field));
      }
      try {
        auto multipart = http::build_multipart_body(fields, "anvil-form-boundary-7MA4YWxkTrZu0gW");
        t.body = std::move(multipart.body);
        t.headers.emplace_back("Content-Type", multipart.content_type);
      } catch (const std::exception& e) {
        throw UsageError(std::string("--form: ") + e.what());
      }
    }
    for (const auto& header : f.headers) {
      const size_t colon = header.find(':');
      if (colon == std::string::npos || colon == 0)
        throw UsageError("--header '" + header + "' must be 'Name: value'");
      std::string value = header.substr(colon + 1);
      const size_t first = value.find_first_not_of(" \t");
      value = first == std::string::npos ? "" : value.substr(first);
      t.headers.emplace_back(header.substr(0, colon), value);
    }
    o.requests.push_back(std::move(t));
  }
  // Serializing once here validates methods and headers before anything starts.
  try {
    load::RequestSet check(o.requests, o.url, o.keepalive);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }

  for (const auto& text : f.thresholds) {
    std::string error;
    auto t = load::parse_threshold(text, error);
    if (!t) throw UsageError(error);
    o.thresholds.push_back(*t);
  }
  o.json_path = f.json_path;
  o.hlog_path = f.hlog_path;
  o.print_spectrum = f.latency;
  o.progress = !f.no_progress;
  return o;
}

int run(const LoadFlags& flags) {
  const load::LoadOptions options = build_options(flags);
  load::install_interrupt_handlers();
  const bool json_on_stdout = options.json_path == "-";
  const bool progress = options.progress && ::isatty(STDERR_FILENO);
  load::LoadResult result;
  try {
    result = load::run_load(options, progress);
  } catch (const std::runtime_error& e) {
    // Set-up failures caused by the input (a host that does not resolve) are usage errors.
    throw UsageError(e.what());
  }

  // The human table goes to stdout, or to stderr when stdout carries the JSON.
  load::print_report(json_on_stdout ? stderr : stdout, options, result);
  if (!options.json_path.empty()) {
    const std::string text = load::to_json(options, result).dump(2) + "\n";
    if (json_on_stdout) {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream out(options.json_path);
      out << text;
      if (!out) throw std::runtime_error("cannot write --json file '" + options.json_path + "'");
    }
  }
  if (!options.hlog_path.empty()) load::write_hlog(options.hlog_path, options, result);

  int code = 0;
  for (const auto& t : options.thresholds) {
    if (!load::threshold_holds(t, result)) {
      std::fprintf(stderr, "anvil: threshold breached: %s (measured %s)\n", t.text.c_str(),
                   load::format_measured(t, load::measured_value(t, result)).c_str());
      code = kExitThreshold;
    }
  }
  return code;
}

}  // namespace

void add_load_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* cmd = app.add_subcommand(
      "load", "Generate HTTP load against URL and report throughput, latency and errors");
  cmd->add_option("url", flags->url, "Target, e.g. http://127.0.0.1:8080/ or https://[::1]:8443/x")
      ->required();
  cmd->add_option("-t,--threads", flags->threads, "Event-loop threads (default 1)");
  cmd->add_option("-c,--connections", flags->connections,
                  "Connections, split over threads (default 64)");
  cmd->add_option("-d,--duration", flags->duration,
                  "Measured duration, e.g. 10s, 2m (default 10s)");
  cmd->add_option("-n,--requests", flags->requests, "Send exactly N requests, then stop");
  cmd->add_option("-R,--rate", flags->rate,
                  "Constant rate in requests/s over all threads (open loop)");
  cmd->add_option("--users", flags->users, "Think-time users (closed loop per user)");
  cmd->add_option("--think", flags->think,
                  "Think time between a user's requests, A..B uniform (e.g. 100ms..500ms)");
  cmd->add_option("--spawn-rate", flags->spawn_rate,
                  "Users started per second (default: all at once)");
  cmd->add_option("--stages", flags->stages, "Ramp the rate or users: 10s:50,30s:200,10s:0");
  cmd->add_option("--warmup", flags->warmup, "Run this long first without counting (default 0s)");
  cmd->add_option("--timeout", flags->timeout, "Per request and per connect (default 5s)");
  cmd->add_option("-m,--method", flags->method, "HTTP method (default GET, POST with a body)");
  cmd->add_option("-H,--header", flags->headers, "Request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--body", flags->body, "Request body text");
  cmd->add_option("--body-file", flags->body_file, "Request body from a file");
  cmd->add_option("--form", flags->forms,
                  "multipart/form-data field name=value or name=@file (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--requests-file", flags->requests_file,
                  "A weighted request mix (TOML; see docs/load.md)");
  cmd->add_flag("--no-keepalive", flags->no_keepalive, "A new connection for every request");
  cmd->add_option("--pipeline", flags->pipeline, "Requests in flight per connection (closed loop)");
  cmd->add_flag("-k,--insecure", flags->insecure, "Accept any TLS certificate");
  cmd->add_option("--json", flags->json_path, "Write the result as JSON to FILE ('-' for stdout)");
  cmd->add_option("--hlog", flags->hlog_path,
                  "Write per-second latency histograms (HdrHistogram log)");
  cmd->add_option("--threshold", flags->thresholds,
                  "Fail (exit 3) unless e.g. 'p99<200ms', 'errors<1%', 'rps>1000'")
      ->allow_extra_args(false);
  cmd->add_flag("--latency", flags->latency, "Print the full percentile spectrum");
  cmd->add_flag("--no-progress", flags->no_progress, "No live progress line");
  cmd->callback([flags, &exit_code] { exit_code = run(*flags); });
}

}  // namespace anvil::cli
