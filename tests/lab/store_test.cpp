#include "anvil/lab/store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "integration/harness.hpp"
#include "lab/run_records.hpp"
#include "support/process.hpp"

namespace anvil::lab {
namespace {

using anvil::test::TempDir;
using namespace std::chrono_literals;

// Raw SQLite access for what the store's API deliberately does not offer.
struct RawDb {
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
    sqlite3_busy_timeout(db, 5000);
  }
  ~RawDb() { sqlite3_close(db); }
  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    }
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }
  int64_t number(const std::string& sql) { return std::stoll(text(sql)); }
  sqlite3* db = nullptr;
};

TEST(Store, NewFileIsAtLatestSchemaInWalMode) {
  TempDir dir;
  const std::string path = dir.file("anvil.db");
  {
    ResultStore store(path);
    EXPECT_EQ(store.schema_version(), 2);
  }
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.number("PRAGMA user_version"), 2);
  EXPECT_EQ(raw.number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs_key'"), 1);
}

TEST(Store, RoundTripOfARunWithHistogramSamplesAndErrors) {
  TempDir dir;
  ResultStore store(dir.file("anvil.db"));
  const int64_t suite_run = store.begin_suite_run(test::suite_info());
  RunRecord run = test::measured_run("flask", 1, 1234.5, 2000);
  run.warnings = {"target printed to stderr"};
  run.result->warnings = {"client bound: 100% CPU"};
  run.result->client_bound = true;
  run.result->client_bound_reason = "driver thread at 100% CPU";
  run.saturation_rps = 4321;
  const int64_t id = store.record_run(suite_run, run);

  const std::vector<StoredRun> runs = store.query_runs({});
  ASSERT_EQ(runs.size(), 1u);
  const StoredRun& got = runs[0];
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.suite_run_id, suite_run);
  const RunRecord& r = got.record;
  EXPECT_EQ(r.key, run.key);
  EXPECT_EQ(r.status, RunStatus::ok);
  EXPECT_EQ(r.started_unix_ms, run.started_unix_ms);
  EXPECT_EQ(r.ended_unix_ms, run.ended_unix_ms);
  EXPECT_EQ(r.target_command, run.target_command);
  EXPECT_EQ(r.driver_command, run.driver_command);
  EXPECT_EQ(r.scenario_json, run.scenario_json);
  EXPECT_EQ(r.warnings, run.warnings);
  EXPECT_DOUBLE_EQ(r.saturation_rps, 4321);
  ASSERT_TRUE(r.result);
  EXPECT_EQ(r.result->requests, run.result->requests);
  EXPECT_EQ(r.result->successes, run.result->successes);
  EXPECT_DOUBLE_EQ(r.result->rps, 1234.5);
  EXPECT_EQ(r.result->errors, run.result->errors);
  EXPECT_EQ(r.result->latency.p50, run.result->latency.p50);
  EXPECT_EQ(r.result->latency.p99, run.result->latency.p99);
  EXPECT_FALSE(r.result->latency.p90);  // absent stays absent
  EXPECT_TRUE(r.result->latency.from_histogram);
  EXPECT_TRUE(r.result->client_bound);
  EXPECT_EQ(r.result->client_bound_reason, run.result->client_bound_reason);
  EXPECT_EQ(r.result->warnings, run.result->warnings);
  ASSERT_TRUE(r.result->histogram);
  EXPECT_EQ(r.result->histogram->count(), 1000);
  EXPECT_EQ(r.result->histogram->value_at_percentile(50),
            run.result->histogram->value_at_percentile(50));
  EXPECT_EQ(r.result->histogram->max(), run.result->histogram->max());
  EXPECT_DOUBLE_EQ(r.server.cpu_user_s, 6);
  EXPECT_DOUBLE_EQ(r.server.cpu_peak_pct, 96);
  EXPECT_EQ(r.server.rss_peak_bytes, run.server.rss_peak_bytes);
  EXPECT_EQ(r.server.sample_count, 3u);
  EXPECT_DOUBLE_EQ(r.client.cpu_mean_pct, 50);

  const std::vector<ResourceSample> server = store.samples(id, true);
  const std::vector<ResourceSample> client = store.samples(id, false);
  ASSERT_EQ(server.size(), 3u);
  ASSERT_EQ(client.size(), 3u);
  EXPECT_DOUBLE_EQ(server[2].t_s, 1.0);
  EXPECT_DOUBLE_EQ(server[2].cpu_user_s, 0.6);
  EXPECT_EQ(server[2].rss_bytes, 1'000'002u);
  EXPECT_EQ(server[2].ctx_voluntary, 200u);
  EXPECT_EQ(server[2].threads, 4u);
  EXPECT_EQ(client[2].threads, 2u);
}

TEST(Store, FailedRunWithoutResultAndFilters) {
  TempDir dir;
  ResultStore store(dir.file("anvil.db"));
  const int64_t a = store.begin_suite_run(test::suite_info("one"));
  const int64_t b = store.begin_suite_run(test::suite_info("two"));
  RunRecord failed;
  failed.key = RunKey{"gunicorn", "single", "workers=4", "anvil", 1};
  failed.status = RunStatus::not_installed;
  failed.reason = "gunicorn: command not found";
  failed.log_tail = "line 1\nline 2";
  store.record_run(a, failed);
  store.record_run(a, test::measured_run("go", 1, 5000));
  store.record_run(b, test::measured_run("go", 1, 6000));

  RunFilter only_a;
  only_a.suite_run_id = a;
  EXPECT_EQ(store.query_runs(only_a).size(), 2u);
  RunFilter by_name;
  by_name.suite_name = "two";
  ASSERT_EQ(store.query_runs(by_name).size(), 1u);
  EXPECT_DOUBLE_EQ(store.query_runs(by_name)[0].record.result->rps, 6000);
  RunFilter by_target;
  by_target.target = "gunicorn";
  const auto got = store.query_runs(by_target);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].record.status, RunStatus::not_installed);
  EXPECT_EQ(got[0].record.reason, failed.reason);
  EXPECT_EQ(got[0].record.log_tail, failed.log_tail);
  EXPECT_EQ(got[0].record.key.params, "workers=4");
  EXPECT_FALSE(got[0].record.result);
  RunFilter by_scenario;
  by_scenario.scenario = "stress";
  EXPECT_TRUE(store.query_runs(by_scenario).empty());

  EXPECT_TRUE(store.has_run(a, failed.key));
  RunKey other = failed.key;
  other.trial = 2;
  EXPECT_FALSE(store.has_run(a, other));
  EXPECT_FALSE(store.has_run(b, failed.key));
}

TEST(Store, SuiteRunLifecycleAndWarnings) {
  TempDir dir;
  ResultStore store(dir.file("anvil.db"));
  const int64_t first = store.begin_suite_run(test::suite_info("etl"));
  const int64_t second = store.begin_suite_run(test::suite_info("etl"));
  const int64_t other = store.begin_suite_run(test::suite_info("other"));
  store.record_warning(second, "cpu frequency scaling is on");
  store.record_warning(second, "2 cores: load generator shares the server's cores");
  EXPECT_EQ(store.suite_run_warnings(second),
            (std::vector<std::string>{"cpu frequency scaling is on",
                                      "2 cores: load generator shares the server's cores"}));
  EXPECT_TRUE(store.suite_run_warnings(first).empty());

  std::optional<SuiteRunRow> row = store.suite_run(second);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "running");  // we are the owner, alive
  EXPECT_EQ(row->suite_name, "etl");
  EXPECT_EQ(row->suite_text, test::suite_info("etl").suite_text);
  EXPECT_EQ(row->options_json, R"({"quick":true})");
  EXPECT_EQ(row->planned_runs, 6);
  store.record_run(second, test::measured_run("go", 1, 1));
  store.finish_suite_run(second);
  row = store.suite_run(second);
  EXPECT_EQ(row->status, "done");
  EXPECT_EQ(row->stored_runs, 1);
  EXPECT_GE(row->ended_unix_ms, row->started_unix_ms);

  EXPECT_EQ(store.latest_suite_run("etl")->id, second);
  EXPECT_EQ(store.latest_suite_run("")->id, other);
  EXPECT_FALSE(store.latest_suite_run("nope"));
  EXPECT_FALSE(store.suite_run(9999));
  ASSERT_EQ(store.suite_runs().size(), 3u);
  EXPECT_EQ(store.suite_runs()[0].id, other);  // newest first
  EXPECT_TRUE(store.interrupted_suite_runs("").empty());
  EXPECT_THROW(store.finish_suite_run(9999), StoreError);
  EXPECT_THROW(store.resume_suite_run(9999), StoreError);
}

TEST(Store, DuplicateRunKeyIsRejectedAndLeavesNothingBehind) {
  TempDir dir;
  ResultStore store(dir.file("anvil.db"));
  const int64_t suite_run = store.begin_suite_run(test::suite_info());
  store.record_run(suite_run, test::measured_run("go", 1, 100));
  EXPECT_THROW(store.record_run(suite_run, test::measured_run("go", 1, 200)), StoreError);
  ASSERT_EQ(store.query_runs({}).size(), 1u);
  EXPECT_DOUBLE_EQ(store.query_runs({})[0].record.result->rps, 100);
  RawDb raw(dir.file("anvil.db"));
  EXPECT_EQ(raw.number("SELECT COUNT(*) FROM samples"), 6);  // the first run's only
  EXPECT_EQ(raw.number("SELECT COUNT(*) FROM resources"), 2);
  // The store is still usable after the rolled-back transaction.
  store.record_run(suite_run, test::measured_run("go", 2, 300));
  EXPECT_EQ(store.query_runs({}).size(), 2u);
}

TEST(Store, RecordRunForAnUnknownSuiteRunFails) {
  TempDir dir;
  ResultStore store(dir.file("anvil.db"));
  try {
    store.record_run(77, test::measured_run("go", 1, 100));
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("anvil.db")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("FOREIGN KEY"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.query_runs({}).empty());
}

TEST(Store, MigratesAVersionOneFileAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    // What anvil with only migration 1 left behind: the v1 tables, no run-key index.
    ResultStore store(path);
    const int64_t suite_run = store.begin_suite_run(test::suite_info("old"));
    store.record_run(suite_run, test::measured_run("go", 1, 777));
    store.finish_suite_run(suite_run);
  }
  {
    RawDb raw(path);
    raw.exec(
        "DROP INDEX runs_key; DROP INDEX suite_runs_by_name; DROP INDEX samples_by_run;"
        "DROP INDEX warnings_by_suite_run; PRAGMA user_version = 1");
    EXPECT_EQ(raw.number("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                         "name = 'runs_key'"),
              0);
  }
  ResultStore store(path);
  EXPECT_EQ(store.schema_version(), 2);
  const auto runs = store.query_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_DOUBLE_EQ(runs[0].record.result->rps, 777);
  EXPECT_EQ(store.suite_runs()[0].status, "done");
  // v2's unique index is in force on the migrated file.
  EXPECT_THROW(store.record_run(runs[0].suite_run_id, test::measured_run("go", 1, 1)), StoreError);
}

TEST(Store, FileFromTheFutureIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  { ResultStore store(path); }
  { RawDb(path).exec("PRAGMA user_version = 999"); }
  try {
    ResultStore store(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("999"), std::string::npos) << what;
    EXPECT_NE(what.find("newer"), std::string::npos) << what;
  }
  EXPECT_EQ(RawDb(path).number("PRAGMA user_version"), 999);  // left untouched
}

TEST(Store, UnopenableAndNonDatabaseFilesAreClearErrors) {
  TempDir dir;
  EXPECT_THROW(ResultStore(dir.file("no/such/dir/anvil.db")), StoreError);
  const std::string junk = dir.file("junk.db");
  { std::ofstream(junk) << std::string(4096, 'x'); }
  try {
    ResultStore store(junk);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(junk), std::string::npos) << e.what();
  }
}

// A writer process SIGKILLed mid-way through recording runs: the file stays sound, every stored
// run is whole, and the suite run is reported interrupted, then can be resumed.
TEST(Store, KillNineWhileRecordingLosesAtMostTheRunInProgress) {
  TempDir dir;
  const std::string path = dir.file("crash.db");
  const std::string writer = anvil::test::binary_path("anvil-lab-store-writer");
  int64_t previous_runs = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    anvil::test::Process p({writer, path, "30"});
    // Kill at a different moment each time: once runs are flowing, after a varying delay.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    int64_t stored = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        RawDb raw(path);
        stored = raw.number("SELECT COUNT(*) FROM runs");
      } catch (const std::exception&) {
        stored = 0;  // tables not created yet
      }
      if (stored > previous_runs + round) break;
      std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(7 * round));
    ASSERT_TRUE(p.running()) << p.err();
    ::kill(-p.pid(), SIGKILL);
    ASSERT_EQ(p.wait(10s), -SIGKILL);

    RawDb raw(path);
    EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(raw.number("SELECT COUNT(*) FROM runs WHERE id NOT IN (SELECT run_id FROM results)"),
              0);
    EXPECT_EQ(raw.number("SELECT COUNT(*) FROM runs WHERE (SELECT COUNT(*) FROM resources WHERE "
                         "run_id = runs.id) != 2"),
              0);
    EXPECT_EQ(raw.number("SELECT COUNT(*) FROM runs WHERE (SELECT COUNT(*) FROM samples WHERE "
                         "run_id = runs.id) != 2 * (3 + 2000)"),
              0);
    previous_runs = raw.number("SELECT COUNT(*) FROM runs");
  }

  ResultStore store(path);
  const std::vector<SuiteRunRow> interrupted = store.interrupted_suite_runs("suites/crash.toml");
  ASSERT_EQ(interrupted.size(), 4u);
  EXPECT_GT(interrupted[0].id, interrupted[1].id);  // newest first
  EXPECT_TRUE(store.interrupted_suite_runs("suites/other.toml").empty());
  const SuiteRunRow& last = interrupted[0];
  EXPECT_EQ(last.status, "interrupted");
  EXPECT_GE(last.stored_runs, 1);

  // Resume: we own it now; stored runs are skipped by key, the rest recorded.
  store.resume_suite_run(last.id);
  EXPECT_EQ(store.suite_run(last.id)->status, "running");
  EXPECT_EQ(store.interrupted_suite_runs("").size(), 3u);
  RunKey done{"writer", "single", "", "anvil", 1};
  EXPECT_TRUE(store.has_run(last.id, done));
  RunKey next = done;
  next.trial = static_cast<int>(last.stored_runs) + 1;
  EXPECT_FALSE(store.has_run(last.id, next));
  store.record_run(last.id, test::measured_run("writer", next.trial, 1));
  EXPECT_TRUE(store.has_run(last.id, next));
  store.finish_suite_run(last.id);
  EXPECT_EQ(store.suite_run(last.id)->status, "done");
}

// A pid that is alive but is not the process that began the suite run (pid reuse) does not
// keep the run from being reported interrupted.
TEST(Store, AReusedPidIsNotMistakenForTheOwner) {
  TempDir dir;
  const std::string path = dir.file("anvil.db");
  ResultStore store(path);
  const int64_t id = store.begin_suite_run(test::suite_info("reuse"));
  RawDb raw(path);
  raw.exec("UPDATE suite_runs SET owner_start_time = owner_start_time + 1 WHERE id = " +
           std::to_string(id));
  EXPECT_EQ(store.suite_run(id)->status, "interrupted");
  raw.exec("UPDATE suite_runs SET owner_start_time = owner_start_time - 1 WHERE id = " +
           std::to_string(id));
  EXPECT_EQ(store.suite_run(id)->status, "running");
}

// Readers in other connections query while a writer records: WAL plus the busy timeout keep
// SQLITE_BUSY from surfacing on either side.
TEST(Store, ConcurrentReadersWhileAWriterRecords) {
  TempDir dir;
  const std::string path = dir.file("anvil.db");
  ResultStore writer(path);
  const int64_t suite_run = writer.begin_suite_run(test::suite_info());
  std::atomic<bool> writing{true};
  std::atomic<int> reader_errors{0}, reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      try {
        ResultStore reader(path);
        size_t last = 0;
        while (writing.load()) {
          const auto runs = reader.query_runs({});
          if (runs.size() < last) reader_errors++;  // committed runs never disappear
          last = runs.size();
          for (const StoredRun& r : runs)
            if (!r.record.result || r.record.server.sample_count != 3) reader_errors++;
          reads++;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        reader_errors++;
      }
    });
  }
  for (int trial = 1; trial <= 40; ++trial)
    writer.record_run(suite_run, test::measured_run("go", trial, trial));
  // Let the readers see the final state at least once.
  const int reads_before = reads.load();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (reads.load() < reads_before + 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  writing = false;
  for (std::thread& t : readers)
    t.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(writer.query_runs({}).size(), 40u);
}

}  // namespace
}  // namespace anvil::lab
