#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "anvil/lab/run_result.hpp"

struct sqlite3;

// The results store: one SQLite file (WAL), schema versioned by migrations applied at open.
// Every measured run is committed in one transaction when it ends, so killing anvil at any
// moment loses at most the run in progress and never corrupts the file.
namespace anvil::lab {

struct SuiteRunInfo {
  std::string suite_name;
  std::string suite_path;
  std::string suite_text;        // the TOML as read, so a run can be reproduced
  std::string options_json;      // {"quick":true,"only":"...",...}
  std::string environment_json;  // CPU model and count, kernel, compiler, peers, git commit, argv
  int64_t planned_runs = 0;
};

// Identifies a run inside a suite run; --resume skips keys already stored.
struct RunKey {
  std::string target;
  std::string scenario;
  std::string params;  // canonical "name=value,name=value", sorted by name; "" when none
  std::string driver;
  int trial = 0;  // 1-based
  friend bool operator==(const RunKey&, const RunKey&) = default;
};

enum class RunStatus { ok, failed, verify_failed, not_installed };
const char* to_string(RunStatus s);
std::optional<RunStatus> run_status_from_string(const std::string& s);

struct RunRecord {
  RunKey key;
  RunStatus status = RunStatus::ok;
  std::string reason;    // why it failed, empty when ok
  std::string log_tail;  // the target's last log lines when it failed
  int64_t started_unix_ms = 0;
  int64_t ended_unix_ms = 0;
  std::string target_command;  // as run, after substitution
  std::string driver_command;
  std::string scenario_json;  // the scenario's settings for this run (connections, rate, ...)
  std::optional<DriverResult> result;  // absent when the run failed before measuring
  ResourceSummary server;
  ResourceSummary client;
  std::vector<ResourceSample> server_samples;
  std::vector<ResourceSample> client_samples;
  std::vector<std::string> warnings;
  double saturation_rps = 0;  // stress scenarios: the last good step's rate (0 otherwise)
};

struct SuiteRunRow {
  int64_t id = 0;
  std::string suite_name;
  std::string suite_path;
  std::string status;  // running, done, interrupted (running but its process is gone)
  int64_t started_unix_ms = 0;
  int64_t ended_unix_ms = 0;
  int64_t planned_runs = 0;
  int64_t stored_runs = 0;
  std::string options_json;
  std::string environment_json;
  std::string suite_text;
};

struct StoredRun {
  int64_t id = 0;
  int64_t suite_run_id = 0;
  RunRecord record;  // samples are not loaded by query_runs()
};

struct RunFilter {
  std::optional<int64_t> suite_run_id;  // default: all
  std::optional<std::string> suite_name;
  std::optional<std::string> target;
  std::optional<std::string> scenario;
};

class ResultStore {
 public:
  // Opens or creates the file, sets WAL and a busy timeout, applies pending migrations.
  // Throws StoreError with the path and SQLite's message when it cannot.
  explicit ResultStore(const std::string& path);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  int schema_version() const;

  int64_t begin_suite_run(const SuiteRunInfo& info);  // status 'running', owner pid stored
  void finish_suite_run(int64_t suite_run_id);        // status 'done'
  void record_warning(int64_t suite_run_id, const std::string& warning);
  std::vector<std::string> suite_run_warnings(int64_t suite_run_id) const;

  // Suite runs left 'running' whose owning process is gone (killed): newest first.
  std::vector<SuiteRunRow> interrupted_suite_runs(const std::string& suite_path) const;
  std::optional<SuiteRunRow> suite_run(int64_t id) const;
  std::vector<SuiteRunRow> suite_runs() const;  // newest first
  std::optional<SuiteRunRow> latest_suite_run(const std::string& suite_name) const;
  // Take over an interrupted suite run (sets owner to this process, status 'running').
  void resume_suite_run(int64_t suite_run_id);

  bool has_run(int64_t suite_run_id, const RunKey& key) const;
  int64_t record_run(int64_t suite_run_id, const RunRecord& run);  // one transaction
  std::vector<StoredRun> query_runs(const RunFilter& filter) const;
  std::vector<ResourceSample> samples(int64_t run_id, bool server) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace anvil::lab
