#include "run_command.hpp"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "anvil/core/units.hpp"
#include "anvil/lab/suite.hpp"
#include "anvil/lab/suite_runner.hpp"
#include "results_command.hpp"
#include "usage_error.hpp"

namespace anvil::cli {

namespace {

struct RunFlags {
  std::string suite;
  std::string only;
  std::string db = "anvil.db";
  std::string work_dir;
  std::string format = "table";
  bool quick = false;
  int trials = 0;
  std::string duration;
  bool resume = false;
  bool no_progress = false;
};

std::string self_executable() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) throw std::runtime_error("cannot find the anvil executable (/proc/self/exe)");
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  auto argv = std::make_shared<std::vector<std::string>>();
  CLI::App* run = app.add_subcommand(
      "run", "Run a benchmark suite (TOML): start each target fresh, verify, measure, store");
  run->add_option("suite", flags->suite, "Suite file, e.g. suites/etl-servers.toml")->required();
  run->add_option("--only", flags->only, "Run one target, or one target/scenario");
  run->add_option("--db", flags->db, "Results store (SQLite; default anvil.db)");
  run->add_option("--work-dir", flags->work_dir, "Logs and scratch files (default <db>.d)");
  run->add_flag("--quick", flags->quick, "Smoke run: durations scaled down, one trial");
  run->add_option("--trials", flags->trials, "Override the suite's trials per run")
      ->check(CLI::Range(1, 1000));
  run->add_option("--duration", flags->duration,
                  "Override the suite's measured duration per run (e.g. 5s)");
  run->add_flag("--resume", flags->resume, "Finish the last interrupted run of this suite");
  run->add_flag("--no-progress", flags->no_progress, "No per-run lines on stderr");
  run->add_option("--format", flags->format, "Results after the run: table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  run->callback([flags, &exit_code]() {
    lab::Suite suite;
    try {
      suite = lab::load_suite(flags->suite);
    } catch (const lab::SuiteError& e) {
      throw UsageError(e.what());
    }
    if (flags->trials > 0) suite.trials = flags->trials;
    if (!flags->duration.empty()) {
      const auto ns = core::parse_duration_ns(flags->duration);
      if (!ns || *ns <= 0)
        throw UsageError("--duration '" + flags->duration + "' is not a duration");
      suite.duration_s = static_cast<double>(*ns) / 1e9;
      for (auto& scenario : suite.scenarios)
        scenario.duration_s.reset();
    }
    lab::RunOptions options;
    options.db_path = flags->db;
    options.work_dir = flags->work_dir;
    options.plan.quick = flags->quick;
    const auto slash = flags->only.find('/');
    options.plan.only_target = flags->only.substr(0, slash);
    if (slash != std::string::npos) options.plan.only_scenario = flags->only.substr(slash + 1);
    options.resume = flags->resume;
    options.progress = !flags->no_progress;
    options.anvil_binary = self_executable();
    options.binary_dir = std::filesystem::path(options.anvil_binary).parent_path().string();
    options.argv = {"anvil", "run", flags->suite, "--db", flags->db};
    if (flags->quick) options.argv.push_back("--quick");
    if (!flags->only.empty()) options.argv.insert(options.argv.end(), {"--only", flags->only});
    if (flags->trials > 0) {
      options.argv.insert(options.argv.end(), {"--trials", std::to_string(flags->trials)});
    }
    if (!flags->duration.empty()) {
      options.argv.insert(options.argv.end(), {"--duration", flags->duration});
    }
    lab::SuiteRunOutcome outcome;
    try {
      outcome = lab::run_suite(suite, options);
    } catch (const lab::SuiteError& e) {
      throw UsageError(e.what());
    }
    show_results(flags->db, std::to_string(outcome.suite_run_id), flags->format);
    if (outcome.interrupted) {
      exit_code = 130;
    } else if (outcome.failed > 0) {
      std::fprintf(stderr, "anvil: %d of %d runs failed (reasons in the table)\n", outcome.failed,
                   outcome.planned);
      exit_code = 4;
    }
  });
}

}  // namespace anvil::cli
