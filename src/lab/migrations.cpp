#include "migrations.hpp"

#include <array>

namespace anvil::lab {
namespace {

// v1: the tables. Never edit a released migration; add the next one.
constexpr const char* kV1 = R"sql(
CREATE TABLE suite_runs (
  id INTEGER PRIMARY KEY,
  suite_name TEXT NOT NULL,
  suite_path TEXT NOT NULL,
  suite_text TEXT NOT NULL,
  options_json TEXT NOT NULL,
  environment_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  owner_pid INTEGER NOT NULL,
  owner_start_time INTEGER NOT NULL,
  started_unix_ms INTEGER NOT NULL,
  ended_unix_ms INTEGER NOT NULL DEFAULT 0,
  planned_runs INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE suite_run_warnings (
  id INTEGER PRIMARY KEY,
  suite_run_id INTEGER NOT NULL REFERENCES suite_runs(id) ON DELETE CASCADE,
  warning TEXT NOT NULL
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  suite_run_id INTEGER NOT NULL REFERENCES suite_runs(id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  scenario TEXT NOT NULL,
  params TEXT NOT NULL,
  driver TEXT NOT NULL,
  trial INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  log_tail TEXT NOT NULL,
  started_unix_ms INTEGER NOT NULL,
  ended_unix_ms INTEGER NOT NULL,
  target_command TEXT NOT NULL,
  driver_command TEXT NOT NULL,
  scenario_json TEXT NOT NULL,
  saturation_rps REAL NOT NULL,
  warnings_json TEXT NOT NULL
);
CREATE TABLE results (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  requests INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  rps REAL NOT NULL,
  errors_json TEXT NOT NULL,
  p50_us REAL, p90_us REAL, p95_us REAL, p99_us REAL, p999_us REAL, max_us REAL, mean_us REAL,
  from_histogram INTEGER NOT NULL,
  histogram BLOB,
  client_bound INTEGER NOT NULL,
  client_bound_reason TEXT NOT NULL,
  driver_warnings_json TEXT NOT NULL,
  replicas INTEGER NOT NULL
);
CREATE TABLE resources (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  side TEXT NOT NULL CHECK (side IN ('server', 'client')),
  duration_s REAL NOT NULL,
  cpu_user_s REAL NOT NULL,
  cpu_sys_s REAL NOT NULL,
  cpu_mean_pct REAL NOT NULL,
  cpu_peak_pct REAL NOT NULL,
  rss_peak_bytes INTEGER NOT NULL,
  threads_peak INTEGER NOT NULL,
  processes_peak INTEGER NOT NULL,
  ctx_voluntary_per_s REAL NOT NULL,
  ctx_involuntary_per_s REAL NOT NULL,
  sample_count INTEGER NOT NULL,
  PRIMARY KEY (run_id, side)
);
CREATE TABLE samples (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  side TEXT NOT NULL CHECK (side IN ('server', 'client')),
  t_s REAL NOT NULL,
  cpu_user_s REAL NOT NULL,
  cpu_sys_s REAL NOT NULL,
  rss_bytes INTEGER NOT NULL,
  processes INTEGER NOT NULL,
  threads INTEGER NOT NULL,
  ctx_voluntary INTEGER NOT NULL,
  ctx_involuntary INTEGER NOT NULL
);
)sql";

// v2: a run key appears once per suite run (what --resume relies on), and the lookups by
// key, by suite and by run are indexed.
constexpr const char* kV2 = R"sql(
CREATE UNIQUE INDEX runs_key ON runs (suite_run_id, target, scenario, params, driver, trial);
CREATE INDEX suite_runs_by_name ON suite_runs (suite_name, started_unix_ms);
CREATE INDEX samples_by_run ON samples (run_id, side, t_s);
CREATE INDEX warnings_by_suite_run ON suite_run_warnings (suite_run_id);
)sql";

constexpr std::array kMigrations{Migration{1, kV1}, Migration{2, kV2}};

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_schema_version() {
  return kMigrations.back().version;
}

}  // namespace anvil::lab
