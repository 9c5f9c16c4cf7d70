#pragma once

// Runs as the orchestrator would record them, for the store, report and compare tests.
#include <cstdint>
#include <string>
#include <vector>

#include "anvil/lab/store.hpp"

namespace anvil::lab::test {

// A measured ok run: `rps` successes per second over 10 s, latencies around `latency_us`.
inline RunRecord measured_run(const std::string& target, int trial, double rps,
                              int64_t latency_us = 1000, const std::string& scenario = "single",
                              const std::string& driver = "anvil") {
  RunRecord r;
  r.key = RunKey{target, scenario, "", driver, trial};
  r.started_unix_ms = 1'700'000'000'000 + trial * 20'000;
  r.ended_unix_ms = r.started_unix_ms + 10'000;
  r.target_command = "/usr/bin/" + target + " --port 1234";
  r.driver_command = "anvil load http://127.0.0.1:1234/ -d 10s";
  r.scenario_json = R"({"connections":64})";
  DriverResult d;
  d.duration_s = 10;
  d.successes = static_cast<uint64_t>(rps * d.duration_s);
  d.errors = {{"timeout", 5}, {"status_5xx", 5}};
  d.requests = d.successes + 10;
  d.rps = rps;
  metrics::Histogram h;
  for (int64_t i = 0; i < 1000; ++i)
    h.record(latency_us + i);  // latency_us .. latency_us + 999, uniform
  d.latency.p50 = static_cast<double>(h.value_at_percentile(50));
  d.latency.p99 = static_cast<double>(h.value_at_percentile(99));
  d.latency.from_histogram = true;
  d.histogram = std::move(h);
  r.result = std::move(d);
  r.server.duration_s = 10;
  r.server.cpu_user_s = 6;
  r.server.cpu_sys_s = 2;
  r.server.cpu_mean_pct = 80;
  r.server.cpu_peak_pct = 95 + trial;
  r.server.rss_peak_bytes = 40ull * 1024 * 1024 + static_cast<uint64_t>(trial);
  r.server.threads_peak = 4;
  r.server.processes_peak = 1;
  r.server.ctx_voluntary_per_s = 1000;
  r.server.ctx_involuntary_per_s = 200;
  r.server.sample_count = 3;
  r.client = r.server;
  r.client.cpu_mean_pct = 50;
  for (int i = 0; i < 3; ++i) {
    ResourceSample s;
    s.t_s = i * 0.5;
    s.cpu_user_s = i * 0.3;
    s.cpu_sys_s = i * 0.1;
    s.rss_bytes = 1'000'000 + static_cast<uint64_t>(i);
    s.processes = 1;
    s.threads = 4;
    s.ctx_voluntary = 100u * static_cast<uint64_t>(i);
    s.ctx_involuntary = 10u * static_cast<uint64_t>(i);
    r.server_samples.push_back(s);
    s.threads = 2;
    r.client_samples.push_back(s);
  }
  return r;
}

inline SuiteRunInfo suite_info(const std::string& name = "etl-servers") {
  SuiteRunInfo info;
  info.suite_name = name;
  info.suite_path = "suites/" + name + ".toml";
  info.suite_text = "[suite]\nname = \"" + name + "\"\n";
  info.options_json = R"({"quick":true})";
  info.environment_json = R"({"cpus":2})";
  info.planned_runs = 6;
  return info;
}

}  // namespace anvil::lab::test
