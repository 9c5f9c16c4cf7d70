#include "anvil/lab/suite_runner.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "anvil/core/units.hpp"
#include "anvil/lab/driver.hpp"
#include "anvil/lab/machine.hpp"
#include "anvil/lab/placeholders.hpp"
#include "anvil/lab/process_group.hpp"
#include "anvil/lab/store.hpp"
#include "anvil/lab/tree_sampler.hpp"

namespace anvil::lab {

namespace fs = std::filesystem;

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
}

// Ctrl-C ends the run in progress cleanly (processes stopped, nothing half-written) and
// leaves the suite run resumable.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
    g_stop_signal.store(0);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  static bool requested() { return g_stop_signal.load() != 0; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t\"'\\$`{}") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return out;
}

// The samples from the end of the warm-up on, re-based to start at zero there.
std::vector<ResourceSample> measured_window(const std::vector<ResourceSample>& samples,
                                            double from_s) {
  std::vector<ResourceSample> out;
  const ResourceSample* base = nullptr;
  for (const auto& s : samples) {
    if (s.t_s + 1e-9 < from_s) continue;
    if (base == nullptr) base = &s;
    ResourceSample r = s;
    r.t_s -= base->t_s;
    r.cpu_user_s -= base->cpu_user_s;
    r.cpu_sys_s -= base->cpu_sys_s;
    r.ctx_voluntary -= base->ctx_voluntary;
    r.ctx_involuntary -= base->ctx_involuntary;
    out.push_back(r);
  }
  return out;
}

// Replicas are sampled one process tree each; the driver side is their sum, sample by sample.
std::vector<ResourceSample> sum_series(const std::vector<std::vector<ResourceSample>>& series) {
  if (series.empty()) return {};
  size_t n = series.front().size();
  for (const auto& s : series)
    n = std::min(n, s.size());
  std::vector<ResourceSample> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].t_s = series.front()[i].t_s;
    for (const auto& s : series) {
      out[i].cpu_user_s += s[i].cpu_user_s;
      out[i].cpu_sys_s += s[i].cpu_sys_s;
      out[i].rss_bytes += s[i].rss_bytes;
      out[i].processes += s[i].processes;
      out[i].threads += s[i].threads;
      out[i].ctx_voluntary += s[i].ctx_voluntary;
      out[i].ctx_involuntary += s[i].ctx_involuntary;
    }
  }
  return out;
}

// Stress steps are sampled one after another; the series continue where the last one ended.
void append_series(std::vector<ResourceSample>& into, const std::vector<ResourceSample>& more) {
  const ResourceSample base = into.empty() ? ResourceSample{} : into.back();
  for (ResourceSample s : more) {
    s.t_s += base.t_s;
    s.cpu_user_s += base.cpu_user_s;
    s.cpu_sys_s += base.cpu_sys_s;
    s.ctx_voluntary += base.ctx_voluntary;
    s.ctx_involuntary += base.ctx_involuntary;
    into.push_back(s);
  }
}

struct CpuPlan {
  std::vector<int> server;
  std::vector<int> client;
  std::string note;
};

// Server and driver on different cores when the machine has at least two: a shared core
// makes the client steal the server's time and the other way round.
CpuPlan plan_cpus(bool pin) {
  const std::vector<int> cpus = usable_cpus();
  CpuPlan plan;
  if (!pin) {
    plan.note = "not pinned (suite.pin = false)";
  } else if (cpus.size() < 2) {
    plan.note = "not pinned: one CPU";
  } else {
    const size_t half = cpus.size() / 2;
    plan.server.assign(cpus.begin(), cpus.begin() + static_cast<long>(half));
    plan.client.assign(cpus.begin() + static_cast<long>(half), cpus.end());
    plan.note = fmt::format("server on CPU {}, driver on CPU {}", fmt::join(plan.server, ","),
                            fmt::join(plan.client, ","));
  }
  return plan;
}

// One driver invocation (all replicas at once) while the server tree is sampled.
struct Measurement {
  std::optional<DriverResult> result;
  std::string failure;  // why there is no result
  std::vector<ResourceSample> server_samples;
  std::vector<ResourceSample> client_samples;
  std::vector<std::string> commands;
  bool target_died = false;
  // Stress: the samples the summaries come from (the last good step), when not all of them.
  std::optional<std::vector<ResourceSample>> summary_server, summary_client;
};

class RunContext {
 public:
  RunContext(const Suite& suite, const RunOptions& options, const CpuPlan& cpus,
             std::string run_dir)
      : suite_(suite), options_(options), cpus_(cpus), run_dir_(std::move(run_dir)) {}

  Measurement drive(const PlannedRun& run, const DriverSpec& driver, const LoadShape& shape,
                    ProcessGroup& target, int port, double sample_from_s) {
    Measurement m;
    DriverTarget where;
    where.host = run.target->host;
    where.port = port;
    where.anvil_binary = options_.anvil_binary;
    where.venv = suite_.venv;
    where.work_dir = run_dir_;
    // A command driver may name suite-level places ({python}, {suite_dir}, ...); the driver
    // fills in the per-run ones ({url}, {connections}, ...).
    DriverSpec resolved = driver;
    const Placeholders suite_values = {{"suite_dir", suite_.dir},
                                       {"binary_dir", options_.binary_dir},
                                       {"venv", suite_.venv},
                                       {"python", suite_.venv + "/bin/python"}};
    for (auto& arg : resolved.command)
      arg = substitute_known(arg, suite_values);
    std::vector<DriverInvocation> invocations;
    try {
      for (int replica = 0; replica < driver.replicas; ++replica)
        invocations.push_back(build_invocation(resolved, *run.workload, shape, where, replica));
    } catch (const std::exception& e) {
      m.failure = e.what();
      return m;
    }
    TreeSampler server_sampler(target.pid());
    server_sampler.start();
    std::vector<ProcessGroup> drivers;
    std::vector<std::unique_ptr<TreeSampler>> client_samplers;
    for (const auto& inv : invocations) {
      ProcessSpec spec;
      spec.argv = inv.argv;
      spec.env = inv.env;
      spec.log_path = inv.stdout_path;
      spec.cpus = cpus_.client;
      spec.cwd = run_dir_;
      m.commands.push_back(join_command(inv.argv));
      try {
        drivers.push_back(ProcessGroup::start(spec));
      } catch (const std::exception& e) {
        m.failure = std::string("driver: ") + e.what();
        break;
      }
      client_samplers.push_back(std::make_unique<TreeSampler>(drivers.back().pid()));
      client_samplers.back()->start();
    }
    // Drivers stop by themselves after warm-up + duration; the deadline is for a wedged one.
    const double deadline_s = shape.warmup_s + shape.duration_s + shape.timeout_s + 30;
    const auto start = std::chrono::steady_clock::now();
    while (m.failure.empty()) {
      bool all_done = true;
      for (auto& d : drivers)
        all_done &= !d.running();
      if (all_done) break;
      if (!target.running()) {
        m.target_died = true;
        m.failure = "the target " + target.describe_exit() + " during the measurement";
        break;
      }
      if (StopSignals::requested()) {
        m.failure = "interrupted";
        break;
      }
      if (seconds_since(start) > deadline_s) {
        m.failure = fmt::format("the driver did not finish within {:.0f} s", deadline_s);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<std::vector<ResourceSample>> client_series;
    for (auto& sampler : client_samplers)
      client_series.push_back(measured_window(sampler->stop(), sample_from_s));
    m.server_samples = measured_window(server_sampler.stop(), sample_from_s);
    m.client_samples = sum_series(client_series);
    for (auto& d : drivers)
      d.stop(2.0);
    if (!m.failure.empty()) return m;
    std::vector<DriverResult> results;
    for (size_t i = 0; i < drivers.size(); ++i) {
      const auto code = drivers[i].exit_code();
      // anvil load exits 3 when a threshold fails; the lab sets none, so only 0 is success.
      if (!code || (*code != 0 && driver.kind != DriverKind::locust)) {
        m.failure = fmt::format("driver {} {}: {}", driver.name, drivers[i].describe_exit(),
                                log_tail(invocations[i].stdout_path, 5));
        return m;
      }
      try {
        results.push_back(parse_result(resolved, invocations[i]));
      } catch (const std::exception& e) {
        m.failure = std::string("driver output: ") + e.what();
        return m;
      }
    }
    m.result = merge_replicas(results);
    return m;
  }

 private:
  const Suite& suite_;
  const RunOptions& options_;
  const CpuPlan& cpus_;
  std::string run_dir_;
};

std::string missing_requirements(const Suite& suite, const TargetSpec& target,
                                 const Placeholders& values) {
  std::vector<std::string> missing;
  for (const auto& file : target.requires_files) {
    const std::string path = substitute_known(file, values);
    if (!fs::exists(path)) missing.push_back(path);
  }
  for (const auto& program : target.requires_programs) {
    if (!find_program(program)) missing.push_back(program);
  }
  const std::string python = suite.venv + "/bin/python";
  for (const auto& module : target.requires_python_modules) {
    const std::string check =
        first_output_line({python, "-c", "import " + module + "; print('ok')"});
    if (check != "ok") missing.push_back("python module " + module);
  }
  if (!target.command.empty()) {
    const std::string program = substitute_known(target.command.front(), values);
    if (!find_program(program)) missing.push_back(program);
  }
  if (missing.empty()) return "";
  return fmt::format("{}", fmt::join(missing, ", "));
}

std::string missing_driver(const Suite& suite, const DriverSpec& driver) {
  std::vector<std::string> missing;
  for (const auto& program : driver.requires_programs) {
    if (!find_program(program)) missing.push_back(program);
  }
  const std::string python = suite.venv + "/bin/python";
  for (const auto& module : driver.requires_python_modules) {
    if (first_output_line({python, "-c", "import " + module + "; print('ok')"}) != "ok") {
      missing.push_back("python module " + module);
    }
  }
  return fmt::format("{}", fmt::join(missing, ", "));
}

// The verify step (as TechEmpower does): a target that answers the workload wrongly is never
// benchmarked, because its throughput would not mean the same work.
std::string verify(const WorkloadSpec& workload, const std::string& host, int port) {
  for (const WorkloadRequest& r : workload.requests) {
    const HttpExchange x = http_exchange(host, port, r.method, r.path, r.body, r.headers, 10.0);
    const std::string what = r.method + " " + r.path;
    if (!x.ok) return what + ": " + x.error;
    if (x.status != r.expect_status) {
      return fmt::format("{}: status {} (expected {})", what, x.status, r.expect_status);
    }
    if (r.expect_body && x.body != *r.expect_body) {
      std::string got = x.body.substr(0, 60);
      return fmt::format("{}: body '{}'{} (expected '{}')", what, got,
                         x.body.size() > 60 ? "..." : "", r.expect_body->substr(0, 60));
    }
  }
  return "";
}

// "The client was the bottleneck": the driver said so, or it used ~all the CPU it had while
// the server still had room.
void judge_client_bound(DriverResult& result, const ResourceSummary& client,
                        const ResourceSummary& server, size_t client_cores, size_t server_cores,
                        int driver_threads) {
  const double client_capacity =
      100.0 * static_cast<double>(std::min<size_t>(std::max(1, driver_threads), client_cores));
  const bool client_saturated = client.cpu_mean_pct >= 0.9 * client_capacity;
  const bool server_has_room =
      server.cpu_mean_pct < 0.8 * 100.0 * static_cast<double>(std::max<size_t>(1, server_cores));
  if (!result.client_bound && client_saturated && server_has_room) {
    result.client_bound = true;
    result.client_bound_reason = fmt::format(
        "the driver used {:.0f}% CPU of {:.0f}% available while the server used {:.0f}%",
        client.cpu_mean_pct, client_capacity, server.cpu_mean_pct);
  } else if (client_saturated && !server_has_room) {
    result.warnings.push_back(
        "driver and server both used all the CPU they had: the throughput is the limit of "
        "this pair, not of the server alone");
  }
}

}  // namespace

SuiteRunOutcome run_suite(const Suite& suite, const RunOptions& options) {
  StopSignals signals;
  const std::vector<PlannedRun> plan = plan_runs(suite, options.plan);
  ResultStore store(options.db_path);
  SuiteRunOutcome outcome;
  outcome.planned = static_cast<int>(plan.size());
  const std::string suite_path = fs::absolute(suite.path).lexically_normal().string();

  const auto interrupted = store.interrupted_suite_runs(suite_path);
  if (options.resume) {
    if (interrupted.empty()) {
      throw std::runtime_error("--resume: no interrupted run of " + suite.path + " in " +
                               options.db_path);
    }
    outcome.suite_run_id = interrupted.front().id;
    store.resume_suite_run(outcome.suite_run_id);
    std::fprintf(stderr, "anvil: resuming suite run #%lld (%lld of %lld runs stored)\n",
                 static_cast<long long>(outcome.suite_run_id),
                 static_cast<long long>(interrupted.front().stored_runs),
                 static_cast<long long>(interrupted.front().planned_runs));
  } else {
    for (const auto& row : interrupted) {
      std::fprintf(stderr,
                   "anvil: suite run #%lld of %s was interrupted (%lld of %lld runs stored); "
                   "`anvil run %s --resume` finishes it\n",
                   static_cast<long long>(row.id), suite.path.c_str(),
                   static_cast<long long>(row.stored_runs),
                   static_cast<long long>(row.planned_runs), suite.path.c_str());
    }
    SuiteRunInfo info;
    info.suite_name = suite.name;
    info.suite_path = suite_path;
    info.suite_text = suite.text;
    info.options_json = nlohmann::json{{"quick", options.plan.quick},
                                       {"only_target", options.plan.only_target},
                                       {"only_scenario", options.plan.only_scenario}}
                            .dump();
    info.environment_json = capture_environment(suite, options.argv).dump();
    info.planned_runs = outcome.planned;
    outcome.suite_run_id = store.begin_suite_run(info);
    for (const auto& w : machine_warnings(suite, options.plan.quick ? 1 : suite.trials)) {
      std::fprintf(stderr, "anvil: warning: %s\n", w.c_str());
      store.record_warning(outcome.suite_run_id, w);
    }
  }

  const CpuPlan cpus = plan_cpus(suite.pin);
  // Absolute: drivers run with their run directory as working directory.
  const std::string work_dir =
      fs::absolute(options.work_dir.empty() ? options.db_path + ".d" : options.work_dir)
          .lexically_normal()
          .string() +
      "/run-" + std::to_string(outcome.suite_run_id);
  fs::create_directories(work_dir);
  if (options.progress) {
    std::fprintf(stderr, "anvil: suite run #%lld: %d runs, %s; logs in %s\n",
                 static_cast<long long>(outcome.suite_run_id), outcome.planned, cpus.note.c_str(),
                 work_dir.c_str());
  }
  std::map<std::string, std::string> missing_cache;
  const auto suite_start = std::chrono::steady_clock::now();

  int index = 0;
  for (const PlannedRun& run : plan) {
    ++index;
    if (StopSignals::requested()) {
      outcome.interrupted = true;
      break;
    }
    if (store.has_run(outcome.suite_run_id, run.key)) {
      ++outcome.skipped;
      continue;
    }
    const std::string label = fmt::format("{}/{}{}{} [{}] trial {}", run.key.target,
                                          run.key.scenario, run.key.params.empty() ? "" : " ",
                                          run.key.params, run.key.driver, run.key.trial);
    const std::string run_dir = fmt::format("{}/{:04d}", work_dir, index);
    fs::create_directories(run_dir);

    RunRecord record;
    record.key = run.key;
    record.started_unix_ms = now_unix_ms();
    const ScenarioSpec& scenario = *run.scenario;
    nlohmann::json scenario_json = {
        {"kind", to_string(scenario.kind)},
        {"connections", run.connections},
        {"duration_s", run.duration_s},
        {"warmup_s", run.warmup_s},
        {"keepalive", run.workload->keepalive},
        {"workload", run.workload->name},
        {"request_bytes", run.workload->requests.front().body.size()},
        {"method", run.workload->requests.front().method},
        {"path", run.workload->requests.front().path},
        {"pinning", cpus.note},
        {"params", run.params},
    };
    if (scenario.kind == ScenarioKind::rate || scenario.kind == ScenarioKind::low_load) {
      scenario_json["rate"] = scenario.rate;
    }

    Placeholders values = {{"host", run.target->host},
                           {"suite_dir", suite.dir},
                           {"binary_dir", options.binary_dir},
                           {"venv", suite.venv},
                           {"python", suite.venv + "/bin/python"}};
    for (const auto& [k, v] : run.params)
      values[k] = v;

    auto finish = [&](RunStatus status, const std::string& reason) {
      record.status = status;
      record.reason = reason;
      record.ended_unix_ms = now_unix_ms();
      record.scenario_json = scenario_json.dump();
      store.record_run(outcome.suite_run_id, record);
      if (status == RunStatus::ok) {
        ++outcome.measured;
      } else if (status == RunStatus::not_installed) {
        ++outcome.not_installed;
      } else {
        ++outcome.failed;
      }
      if (!options.progress) return;
      std::string summary;
      if (status == RunStatus::ok && record.result) {
        const DriverResult& r = *record.result;
        summary = fmt::format("{:.0f} req/s", r.rps);
        if (r.latency.p99) summary += ", p99 " + core::format_latency_us(*r.latency.p99);
        if (r.error_count()) summary += fmt::format(", {} errors", r.error_count());
        if (record.saturation_rps > 0) {
          summary += fmt::format(", saturation {:.0f} req/s", record.saturation_rps);
        }
        summary += fmt::format(", server CPU {:.0f}%", record.server.cpu_mean_pct);
        if (r.client_bound) summary += ", CLIENT-BOUND";
      } else {
        summary = std::string(to_string(status)) + (reason.empty() ? "" : ": " + reason);
      }
      std::fprintf(stderr, "[%d/%d %.0fs] %s: %s\n", index, outcome.planned,
                   seconds_since(suite_start), label.c_str(), summary.c_str());
    };

    // Requirements: a peer the setup could not install is a row saying so, not a failure.
    const std::string cache_key = run.target->name + "|" + run.driver->name;
    if (!missing_cache.count(cache_key)) {
      std::string missing = missing_requirements(suite, *run.target, values);
      const std::string driver_missing = missing_driver(suite, *run.driver);
      if (!driver_missing.empty()) {
        missing += (missing.empty() ? "" : "; ") + std::string("driver needs ") + driver_missing;
      }
      missing_cache[cache_key] = missing;
    }
    if (!missing_cache[cache_key].empty()) {
      finish(RunStatus::not_installed, missing_cache[cache_key]);
      continue;
    }

    // Start the target fresh.
    const int port = pick_free_port(run.target->host);
    values["port"] = std::to_string(port);
    ProcessSpec spec;
    try {
      for (const auto& arg : run.target->command)
        spec.argv.push_back(substitute_all(arg, values));
      for (const auto& [k, v] : run.target->env)
        spec.env.emplace_back(k, substitute_all(v, values));
      spec.cwd = substitute_all(run.target->cwd, values);
    } catch (const std::exception& e) {
      finish(RunStatus::failed, e.what());
      continue;
    }
    spec.log_path = run_dir + "/target.log";
    spec.cpus = cpus.server;
    record.target_command = join_command(spec.argv);
    std::optional<ProcessGroup> target;
    try {
      target.emplace(ProcessGroup::start(spec));
    } catch (const std::exception& e) {
      finish(RunStatus::failed, e.what());
      continue;
    }
    const std::string not_ready = wait_until_ready(
        *target, run.target->host, port, run.target->ready.method, run.target->ready.path,
        run.target->ready.expect_status, run.target->startup_timeout_s);
    if (!not_ready.empty()) {
      target->stop(run.target->stop_grace_s);
      record.log_tail = log_tail(spec.log_path, 20);
      finish(RunStatus::failed, not_ready);
      continue;
    }
    if (const std::string wrong = verify(*run.workload, run.target->host, port); !wrong.empty()) {
      target->stop(run.target->stop_grace_s);
      record.log_tail = log_tail(spec.log_path, 20);
      finish(RunStatus::verify_failed, wrong);
      continue;
    }

    RunContext context(suite, options, cpus, run_dir);
    const DriverSpec& driver = *run.driver;
    LoadShape shape;
    shape.connections = run.connections;
    shape.duration_s = run.duration_s;
    shape.warmup_s = 0;
    double sample_from_s = 0;
    // anvil load warms up inside the same process (its own --warmup); other drivers cannot,
    // so a short anvil load run warms the target up first.
    if (run.warmup_s > 0) {
      if (driver.kind == DriverKind::anvil) {
        shape.warmup_s = run.warmup_s;
        sample_from_s = run.warmup_s;
      } else {
        DriverSpec warm;
        warm.name = "anvil";
        LoadShape warm_shape;
        warm_shape.connections = run.connections;
        warm_shape.duration_s = run.warmup_s;
        if (scenario.kind == ScenarioKind::rate || scenario.kind == ScenarioKind::low_load) {
          warm_shape.mode = LoadShape::Mode::rate;
          warm_shape.rate = scenario.rate;
        }
        context.drive(run, warm, warm_shape, *target, port, 0);
      }
    }

    Measurement measurement;
    if (scenario.kind == ScenarioKind::stress) {
      // Raise the rate step by step on the same target until errors or the latency
      // objective break; the result is the last good step.
      nlohmann::json steps = nlohmann::json::array();
      std::optional<DriverResult> last_good;
      double last_good_rate = 0;
      std::vector<ResourceSample> last_good_server, last_good_client;
      std::string stop_reason = "reached max_rate";
      for (double rate = scenario.stress_start; rate <= scenario.stress_max_rate + 1e-9;
           rate += scenario.stress_step) {
        LoadShape step = shape;
        step.mode = LoadShape::Mode::rate;
        step.rate = rate;
        Measurement m = context.drive(run, driver, step, *target, port, sample_from_s);
        shape.warmup_s = 0;
        sample_from_s = 0;
        append_series(measurement.server_samples, m.server_samples);
        append_series(measurement.client_samples, m.client_samples);
        measurement.commands = m.commands;
        if (!m.result) {
          measurement.failure = m.failure;
          measurement.target_died = m.target_died;
          break;
        }
        const DriverResult& r = *m.result;
        const double error_ratio =
            r.requests ? static_cast<double>(r.error_count()) / static_cast<double>(r.requests) : 1;
        const double p99_ms = r.latency.p99.value_or(0) / 1e3;
        steps.push_back({{"rate", rate},
                         {"rps", r.rps},
                         {"error_ratio", error_ratio},
                         {"p99_ms", p99_ms},
                         {"client_bound", r.client_bound}});
        if (options.progress) {
          std::fprintf(stderr, "    step %.0f req/s: %.0f req/s, errors %.2f%%, p99 %s\n", rate,
                       r.rps, 100 * error_ratio, core::format_latency_us(p99_ms * 1e3).c_str());
        }
        if (error_ratio > scenario.max_error_ratio) {
          stop_reason = fmt::format("errors {:.2f}% > {:.2f}% at {:.0f} req/s", 100 * error_ratio,
                                    100 * scenario.max_error_ratio, rate);
          break;
        }
        if (scenario.p99_objective_ms && p99_ms > *scenario.p99_objective_ms) {
          stop_reason = fmt::format("p99 {:.1f} ms > {:.1f} ms at {:.0f} req/s", p99_ms,
                                    *scenario.p99_objective_ms, rate);
          break;
        }
        if (r.rps < 0.9 * rate) {
          stop_reason =
              fmt::format("throughput {:.0f} req/s fell behind the rate {:.0f}", r.rps, rate);
          break;
        }
        last_good = r;
        last_good_rate = rate;
        last_good_server = m.server_samples;
        last_good_client = m.client_samples;
        if (StopSignals::requested()) break;
      }
      scenario_json["steps"] = steps;
      scenario_json["stop_reason"] = stop_reason;
      if (measurement.failure.empty()) {
        if (last_good) {
          measurement.result = last_good;
          record.saturation_rps = last_good_rate;
          // CPU per request and the like describe the step the result comes from; the time
          // series of every step is stored.
          measurement.summary_server = std::move(last_good_server);
          measurement.summary_client = std::move(last_good_client);
        } else {
          measurement.failure = "no good step: " + stop_reason;
        }
      }
    } else {
      if (scenario.kind == ScenarioKind::rate || scenario.kind == ScenarioKind::low_load) {
        shape.mode = LoadShape::Mode::rate;
        shape.rate = scenario.rate;
      }
      measurement = context.drive(run, driver, shape, *target, port, sample_from_s);
    }
    record.driver_command = fmt::format("{}", fmt::join(measurement.commands, " & "));
    const bool stopped_in_grace = target->stop(run.target->stop_grace_s);
    if (!stopped_in_grace) {
      record.warnings.push_back(fmt::format(
          "the target ignored SIGTERM for {:.0f} s and was killed", run.target->stop_grace_s));
    }
    record.server_samples = std::move(measurement.server_samples);
    record.client_samples = std::move(measurement.client_samples);
    record.server =
        summarize(measurement.summary_server ? *measurement.summary_server : record.server_samples);
    record.client =
        summarize(measurement.summary_client ? *measurement.summary_client : record.client_samples);
    if (measurement.failure == "interrupted" || StopSignals::requested()) {
      outcome.interrupted = true;
      break;
    }
    if (!measurement.result) {
      record.log_tail = log_tail(spec.log_path, 20);
      finish(RunStatus::failed, measurement.failure);
      continue;
    }
    DriverResult result = std::move(*measurement.result);
    judge_client_bound(result, record.client, record.server,
                       cpus.client.empty() ? usable_cpus().size() : cpus.client.size(),
                       cpus.server.empty() ? usable_cpus().size() : cpus.server.size(),
                       driver.threads * driver.replicas);
    for (const auto& w : result.warnings)
      record.warnings.push_back(w);
    record.result = std::move(result);
    finish(RunStatus::ok, "");
  }

  if (!outcome.interrupted) {
    store.finish_suite_run(outcome.suite_run_id);
  } else {
    std::fprintf(stderr,
                 "anvil: interrupted; suite run #%lld is kept and `anvil run %s --resume` "
                 "finishes it\n",
                 static_cast<long long>(outcome.suite_run_id), suite.path.c_str());
  }
  return outcome;
}

}  // namespace anvil::lab
