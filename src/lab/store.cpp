#include "anvil/lab/store.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "anvil/metrics/histogram_log.hpp"
#include "migrations.hpp"
#include "sqlite_handle.hpp"

namespace anvil::lab {
namespace {

using sql::Statement;
using Json = nlohmann::json;

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Field 22 of /proc/PID/stat (start time in clock ticks since boot): with the pid it names a
// process uniquely, so a pid reused after a crash is not taken for the owner. 0 when gone.
int64_t process_start_time(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return 0;
  // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 22) return std::stoll(field);
  }
  return 0;
}

bool owner_alive(int64_t pid, int64_t start_time) {
  return pid > 0 && start_time != 0 && process_start_time(pid) == start_time;
}

std::string strings_json(const std::vector<std::string>& strings) {
  return Json(strings).dump();
}

std::vector<std::string> strings_from_json(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& item : j)
      if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

constexpr const char* kSuiteRunColumns =
    "SELECT id, suite_name, suite_path, status, started_unix_ms, ended_unix_ms, planned_runs, "
    "(SELECT COUNT(*) FROM runs WHERE runs.suite_run_id = suite_runs.id), options_json, "
    "environment_json, suite_text, owner_pid, owner_start_time FROM suite_runs ";

SuiteRunRow read_suite_run(const Statement& s) {
  SuiteRunRow row;
  row.id = s.int64(0);
  row.suite_name = s.text(1);
  row.suite_path = s.text(2);
  row.status = s.text(3);
  row.started_unix_ms = s.int64(4);
  row.ended_unix_ms = s.int64(5);
  row.planned_runs = s.int64(6);
  row.stored_runs = s.int64(7);
  row.options_json = s.text(8);
  row.environment_json = s.text(9);
  row.suite_text = s.text(10);
  if (row.status == "running" && !owner_alive(s.int64(11), s.int64(12))) {
    row.status = "interrupted";
  }
  return row;
}

void insert_resources(Statement& s, int64_t run_id, const char* side, const ResourceSummary& r) {
  s.bind(1, run_id)
      .bind(2, std::string_view(side))
      .bind(3, r.duration_s)
      .bind(4, r.cpu_user_s)
      .bind(5, r.cpu_sys_s)
      .bind(6, r.cpu_mean_pct)
      .bind(7, r.cpu_peak_pct)
      .bind(8, static_cast<int64_t>(r.rss_peak_bytes))
      .bind(9, static_cast<int64_t>(r.threads_peak))
      .bind(10, static_cast<int64_t>(r.processes_peak))
      .bind(11, r.ctx_voluntary_per_s)
      .bind(12, r.ctx_involuntary_per_s)
      .bind(13, static_cast<int64_t>(r.sample_count))
      .run();
}

void insert_samples(Statement& s, int64_t run_id, const char* side,
                    const std::vector<ResourceSample>& samples) {
  for (const ResourceSample& x : samples) {
    s.bind(1, run_id)
        .bind(2, std::string_view(side))
        .bind(3, x.t_s)
        .bind(4, x.cpu_user_s)
        .bind(5, x.cpu_sys_s)
        .bind(6, static_cast<int64_t>(x.rss_bytes))
        .bind(7, static_cast<int64_t>(x.processes))
        .bind(8, static_cast<int64_t>(x.threads))
        .bind(9, static_cast<int64_t>(x.ctx_voluntary))
        .bind(10, static_cast<int64_t>(x.ctx_involuntary))
        .run();
  }
}

}  // namespace

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::ok:
      return "ok";
    case RunStatus::failed:
      return "failed";
    case RunStatus::verify_failed:
      return "verify_failed";
    case RunStatus::not_installed:
      return "not_installed";
  }
  return "failed";
}

std::optional<RunStatus> run_status_from_string(const std::string& s) {
  for (RunStatus r :
       {RunStatus::ok, RunStatus::failed, RunStatus::verify_failed, RunStatus::not_installed}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

ResultStore::ResultStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("results store " + path + ": cannot open: " + message);
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    if (sqlite3_busy_timeout(db_, 5000) != SQLITE_OK) sql::fail(db_, path_, "busy timeout");
    sql::exec(db_, path_, "PRAGMA foreign_keys = ON");
    {
      // journal_mode answers with the mode in force; anything but wal means a file we cannot use
      // safely (e.g. on a filesystem without shared memory).
      Statement wal(db_, path_, "PRAGMA journal_mode = WAL");
      if (!wal.step() || wal.text(0) != "wal") {
        throw StoreError("results store " + path + ": cannot switch to WAL journal mode");
      }
    }
    sql::exec(db_, path_, "PRAGMA synchronous = NORMAL");

    sql::Transaction tx(db_, path_);
    const int version = schema_version();
    if (version > latest_schema_version()) {
      throw StoreError("results store " + path + ": schema version " + std::to_string(version) +
                       " is newer than this anvil understands (" +
                       std::to_string(latest_schema_version()) + "); use a newer anvil");
    }
    for (const Migration& m : migrations()) {
      if (m.version <= version) continue;
      sql::exec(db_, path_, m.sql);
      sql::exec(db_, path_, ("PRAGMA user_version = " + std::to_string(m.version)).c_str());
    }
    tx.commit();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultStore::~ResultStore() {
  sqlite3_close(db_);
}

int ResultStore::schema_version() const {
  Statement s(db_, path_, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

int64_t ResultStore::begin_suite_run(const SuiteRunInfo& info) {
  const int64_t pid = ::getpid();
  Statement s(db_, path_,
              "INSERT INTO suite_runs (suite_name, suite_path, suite_text, options_json, "
              "environment_json, status, owner_pid, owner_start_time, started_unix_ms, "
              "planned_runs) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)");
  s.bind(1, info.suite_name)
      .bind(2, info.suite_path)
      .bind(3, info.suite_text)
      .bind(4, info.options_json)
      .bind(5, info.environment_json)
      .bind(6, pid)
      .bind(7, process_start_time(pid))
      .bind(8, now_unix_ms())
      .bind(9, info.planned_runs)
      .run();
  return sqlite3_last_insert_rowid(db_);
}

void ResultStore::finish_suite_run(int64_t suite_run_id) {
  Statement s(db_, path_, "UPDATE suite_runs SET status = 'done', ended_unix_ms = ? WHERE id = ?");
  s.bind(1, now_unix_ms()).bind(2, suite_run_id).run();
  if (sqlite3_changes(db_) != 1) {
    throw StoreError("results store " + path_ + ": no suite run " + std::to_string(suite_run_id));
  }
}

void ResultStore::record_warning(int64_t suite_run_id, const std::string& warning) {
  Statement s(db_, path_, "INSERT INTO suite_run_warnings (suite_run_id, warning) VALUES (?, ?)");
  s.bind(1, suite_run_id).bind(2, warning).run();
}

std::vector<std::string> ResultStore::suite_run_warnings(int64_t suite_run_id) const {
  Statement s(db_, path_,
              "SELECT warning FROM suite_run_warnings WHERE suite_run_id = ? ORDER BY id");
  s.bind(1, suite_run_id);
  std::vector<std::string> out;
  while (s.step())
    out.push_back(s.text(0));
  return out;
}

std::vector<SuiteRunRow> ResultStore::interrupted_suite_runs(const std::string& suite_path) const {
  std::vector<SuiteRunRow> out;
  for (SuiteRunRow& row : suite_runs()) {
    if (row.status == "interrupted" && (suite_path.empty() || row.suite_path == suite_path)) {
      out.push_back(std::move(row));
    }
  }
  return out;
}

std::optional<SuiteRunRow> ResultStore::suite_run(int64_t id) const {
  Statement s(db_, path_, std::string(kSuiteRunColumns) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_suite_run(s);
}

std::vector<SuiteRunRow> ResultStore::suite_runs() const {
  Statement s(db_, path_, std::string(kSuiteRunColumns) + "ORDER BY started_unix_ms DESC, id DESC");
  std::vector<SuiteRunRow> out;
  while (s.step())
    out.push_back(read_suite_run(s));
  return out;
}

std::optional<SuiteRunRow> ResultStore::latest_suite_run(const std::string& suite_name) const {
  Statement s(db_, path_,
              std::string(kSuiteRunColumns) +
                  "WHERE ?1 = '' OR suite_name = ?1 ORDER BY started_unix_ms DESC, id DESC "
                  "LIMIT 1");
  s.bind(1, suite_name);
  if (!s.step()) return std::nullopt;
  return read_suite_run(s);
}

void ResultStore::resume_suite_run(int64_t suite_run_id) {
  const int64_t pid = ::getpid();
  Statement s(db_, path_,
              "UPDATE suite_runs SET status = 'running', owner_pid = ?, owner_start_time = ?, "
              "ended_unix_ms = 0 WHERE id = ?");
  s.bind(1, pid).bind(2, process_start_time(pid)).bind(3, suite_run_id).run();
  if (sqlite3_changes(db_) != 1) {
    throw StoreError("results store " + path_ + ": no suite run " + std::to_string(suite_run_id));
  }
}

bool ResultStore::has_run(int64_t suite_run_id, const RunKey& key) const {
  Statement s(db_, path_,
              "SELECT 1 FROM runs WHERE suite_run_id = ? AND target = ? AND scenario = ? AND "
              "params = ? AND driver = ? AND trial = ?");
  s.bind(1, suite_run_id)
      .bind(2, key.target)
      .bind(3, key.scenario)
      .bind(4, key.params)
      .bind(5, key.driver)
      .bind(6, static_cast<int64_t>(key.trial));
  return s.step();
}

int64_t ResultStore::record_run(int64_t suite_run_id, const RunRecord& run) {
  sql::Transaction tx(db_, path_);
  Statement insert_run(
      db_, path_,
      "INSERT INTO runs (suite_run_id, target, scenario, params, driver, trial, status, reason, "
      "log_tail, started_unix_ms, ended_unix_ms, target_command, driver_command, scenario_json, "
      "saturation_rps, warnings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert_run.bind(1, suite_run_id)
      .bind(2, run.key.target)
      .bind(3, run.key.scenario)
      .bind(4, run.key.params)
      .bind(5, run.key.driver)
      .bind(6, static_cast<int64_t>(run.key.trial))
      .bind(7, std::string_view(to_string(run.status)))
      .bind(8, run.reason)
      .bind(9, run.log_tail)
      .bind(10, run.started_unix_ms)
      .bind(11, run.ended_unix_ms)
      .bind(12, run.target_command)
      .bind(13, run.driver_command)
      .bind(14, run.scenario_json)
      .bind(15, run.saturation_rps)
      .bind(16, strings_json(run.warnings))
      .run();
  const int64_t run_id = sqlite3_last_insert_rowid(db_);

  if (run.result) {
    const DriverResult& r = *run.result;
    Statement insert_result(
        db_, path_,
        "INSERT INTO results (run_id, requests, successes, duration_s, rps, errors_json, p50_us, "
        "p90_us, p95_us, p99_us, p999_us, max_us, mean_us, from_histogram, histogram, "
        "client_bound, client_bound_reason, driver_warnings_json, replicas) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert_result.bind(1, run_id)
        .bind(2, static_cast<int64_t>(r.requests))
        .bind(3, static_cast<int64_t>(r.successes))
        .bind(4, r.duration_s)
        .bind(5, r.rps)
        .bind(6, Json(r.errors).dump())
        .bind(7, r.latency.p50)
        .bind(8, r.latency.p90)
        .bind(9, r.latency.p95)
        .bind(10, r.latency.p99)
        .bind(11, r.latency.p999)
        .bind(12, r.latency.max)
        .bind(13, r.latency.mean)
        .bind(14, int64_t{r.latency.from_histogram ? 1 : 0});
    if (r.histogram) {
      insert_result.bind_blob(15, metrics::encode_compressed(*r.histogram));
    } else {
      insert_result.bind_null(15);
    }
    insert_result.bind(16, int64_t{r.client_bound ? 1 : 0})
        .bind(17, r.client_bound_reason)
        .bind(18, strings_json(r.warnings))
        .bind(19, static_cast<int64_t>(r.replicas))
        .run();
  }

  Statement insert_resource(
      db_, path_,
      "INSERT INTO resources (run_id, side, duration_s, cpu_user_s, cpu_sys_s, cpu_mean_pct, "
      "cpu_peak_pct, rss_peak_bytes, threads_peak, processes_peak, ctx_voluntary_per_s, "
      "ctx_involuntary_per_s, sample_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert_resources(insert_resource, run_id, "server", run.server);
  insert_resources(insert_resource, run_id, "client", run.client);

  Statement insert_sample(
      db_, path_,
      "INSERT INTO samples (run_id, side, t_s, cpu_user_s, cpu_sys_s, rss_bytes, processes, "
      "threads, ctx_voluntary, ctx_involuntary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert_samples(insert_sample, run_id, "server", run.server_samples);
  insert_samples(insert_sample, run_id, "client", run.client_samples);

  tx.commit();
  return run_id;
}

std::vector<StoredRun> ResultStore::query_runs(const RunFilter& filter) const {
  Statement s(db_, path_,
              "SELECT runs.id, runs.suite_run_id, target, scenario, params, driver, trial, "
              "runs.status, reason, log_tail, runs.started_unix_ms, runs.ended_unix_ms, "
              "target_command, driver_command, scenario_json, saturation_rps, warnings_json "
              "FROM runs JOIN suite_runs ON suite_runs.id = runs.suite_run_id "
              "WHERE (?1 IS NULL OR runs.suite_run_id = ?1) AND (?2 IS NULL OR suite_name = ?2) "
              "AND (?3 IS NULL OR target = ?3) AND (?4 IS NULL OR scenario = ?4) "
              "ORDER BY runs.suite_run_id, target, scenario, params, driver, trial");
  if (filter.suite_run_id) s.bind(1, *filter.suite_run_id);
  if (filter.suite_name) s.bind(2, *filter.suite_name);
  if (filter.target) s.bind(3, *filter.target);
  if (filter.scenario) s.bind(4, *filter.scenario);

  std::vector<StoredRun> out;
  while (s.step()) {
    StoredRun stored;
    stored.id = s.int64(0);
    stored.suite_run_id = s.int64(1);
    RunRecord& r = stored.record;
    r.key = RunKey{s.text(2), s.text(3), s.text(4), s.text(5), static_cast<int>(s.int64(6))};
    r.status = run_status_from_string(s.text(7)).value_or(RunStatus::failed);
    r.reason = s.text(8);
    r.log_tail = s.text(9);
    r.started_unix_ms = s.int64(10);
    r.ended_unix_ms = s.int64(11);
    r.target_command = s.text(12);
    r.driver_command = s.text(13);
    r.scenario_json = s.text(14);
    r.saturation_rps = s.real(15);
    r.warnings = strings_from_json(s.text(16));
    out.push_back(std::move(stored));
  }

  Statement result(db_, path_,
                   "SELECT requests, successes, duration_s, rps, errors_json, p50_us, p90_us, "
                   "p95_us, p99_us, p999_us, max_us, mean_us, from_histogram, histogram, "
                   "client_bound, client_bound_reason, driver_warnings_json, replicas "
                   "FROM results WHERE run_id = ?");
  Statement resources(db_, path_,
                      "SELECT side, duration_s, cpu_user_s, cpu_sys_s, cpu_mean_pct, "
                      "cpu_peak_pct, rss_peak_bytes, threads_peak, processes_peak, "
                      "ctx_voluntary_per_s, ctx_involuntary_per_s, sample_count "
                      "FROM resources WHERE run_id = ?");
  for (StoredRun& stored : out) {
    result.bind(1, stored.id);
    if (result.step()) {
      DriverResult r;
      r.requests = static_cast<uint64_t>(result.int64(0));
      r.successes = static_cast<uint64_t>(result.int64(1));
      r.duration_s = result.real(2);
      r.rps = result.real(3);
      Json errors = Json::parse(result.text(4), nullptr, false);
      if (errors.is_object()) {
        for (const auto& [name, count] : errors.items())
          if (count.is_number_unsigned()) r.errors[name] = count.get<uint64_t>();
      }
      r.latency.p50 = result.optional_real(5);
      r.latency.p90 = result.optional_real(6);
      r.latency.p95 = result.optional_real(7);
      r.latency.p99 = result.optional_real(8);
      r.latency.p999 = result.optional_real(9);
      r.latency.max = result.optional_real(10);
      r.latency.mean = result.optional_real(11);
      r.latency.from_histogram = result.int64(12) != 0;
      if (!result.is_null(13)) {
        const std::vector<uint8_t> blob = result.blob(13);
        metrics::DecodeResult decoded = metrics::try_decode_compressed(blob);
        if (!decoded.histogram) {
          throw StoreError("results store " + path_ + ": run " + std::to_string(stored.id) +
                           ": stored histogram is unreadable: " +
                           std::string(metrics::to_string(decoded.error)));
        }
        r.histogram = std::move(decoded.histogram);
      }
      r.client_bound = result.int64(14) != 0;
      r.client_bound_reason = result.text(15);
      r.warnings = strings_from_json(result.text(16));
      r.replicas = static_cast<int>(result.int64(17));
      stored.record.result = std::move(r);
    }
    result.reset();

    resources.bind(1, stored.id);
    while (resources.step()) {
      ResourceSummary& x =
          resources.text(0) == "server" ? stored.record.server : stored.record.client;
      x.duration_s = resources.real(1);
      x.cpu_user_s = resources.real(2);
      x.cpu_sys_s = resources.real(3);
      x.cpu_mean_pct = resources.real(4);
      x.cpu_peak_pct = resources.real(5);
      x.rss_peak_bytes = static_cast<uint64_t>(resources.int64(6));
      x.threads_peak = static_cast<uint32_t>(resources.int64(7));
      x.processes_peak = static_cast<uint32_t>(resources.int64(8));
      x.ctx_voluntary_per_s = resources.real(9);
      x.ctx_involuntary_per_s = resources.real(10);
      x.sample_count = static_cast<size_t>(resources.int64(11));
    }
    resources.reset();
  }
  return out;
}

std::vector<ResourceSample> ResultStore::samples(int64_t run_id, bool server) const {
  Statement s(db_, path_,
              "SELECT t_s, cpu_user_s, cpu_sys_s, rss_bytes, processes, threads, ctx_voluntary, "
              "ctx_involuntary FROM samples WHERE run_id = ? AND side = ? ORDER BY t_s, rowid");
  s.bind(1, run_id).bind(2, std::string_view(server ? "server" : "client"));
  std::vector<ResourceSample> out;
  while (s.step()) {
    ResourceSample x;
    x.t_s = s.real(0);
    x.cpu_user_s = s.real(1);
    x.cpu_sys_s = s.real(2);
    x.rss_bytes = static_cast<uint64_t>(s.int64(3));
    x.processes = static_cast<uint32_t>(s.int64(4));
    x.threads = static_cast<uint32_t>(s.int64(5));
    x.ctx_voluntary = static_cast<uint64_t>(s.int64(6));
    x.ctx_involuntary = static_cast<uint64_t>(s.int64(7));
    out.push_back(x);
  }
  return out;
}

}  // namespace anvil::lab
