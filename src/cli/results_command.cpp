#include "results_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include "anvil/lab/results_chart.hpp"
#include "anvil/lab/results_table.hpp"
#include "lab_store_access.hpp"
#include "usage_error.hpp"

namespace anvil::cli {
namespace {

struct ResultsFlags {
  std::string db = "anvil.db";
  std::string run;  // suite run: ID, latest, latest~N
  std::string suite;
  std::string target;
  std::string scenario;
  std::string format = "table";
  std::string output;
};

std::string suite_run_header(const lab::SuiteRunRow& row,
                             const std::vector<std::string>& warnings) {
  std::string out =
      fmt::format("suite run {}: {} ({}), started {}, {}, {} of {} runs stored\n", row.id,
                  row.suite_name, row.suite_path, format_unix_ms(row.started_unix_ms), row.status,
                  row.stored_runs, row.planned_runs);
  for (const std::string& w : warnings)
    out += "warning: " + w + "\n";
  return out;
}

int run(const ResultsFlags& f) {
  const bool svg = f.format == "svg";
  const std::optional<lab::ReportFormat> format =
      svg ? lab::ReportFormat::table : lab::report_format_from_string(f.format);
  if (!format) throw UsageError("--format '" + f.format + "' must be table, csv, json or svg");
  if (svg && (f.output.empty() || f.output == "-") && ::isatty(STDOUT_FILENO)) {
    throw UsageError("--format svg writes a file: give -o chart.svg");
  }
  auto store = open_existing_store(f.db);
  const lab::SuiteRunRow suite_run =
      resolve_suite_run(*store, f.db, f.run.empty() ? "latest" : f.run, f.suite);

  lab::RunFilter filter;
  filter.suite_run_id = suite_run.id;
  if (!f.target.empty()) filter.target = f.target;
  if (!f.scenario.empty()) filter.scenario = f.scenario;
  const std::vector<lab::ResultRow> rows = lab::aggregate_runs(store->query_runs(filter));

  const std::string header = suite_run_header(suite_run, store->suite_run_warnings(suite_run.id));
  if (svg) {
    std::fputs(header.c_str(), stderr);
    write_output(f.output,
                 lab::results_chart_svg(rows, fmt::format("{} \u2014 suite run {}",
                                                          suite_run.suite_name, suite_run.id)));
    return 0;
  }
  std::string body = lab::format_rows(rows, *format);
  if (*format == lab::ReportFormat::table) {
    body = header + body;
    if (rows.empty()) body += "no runs match\n";
  } else {
    // CSV and JSON stay machine-readable; the header goes to the terminal.
    std::fputs(header.c_str(), stderr);
  }
  write_output(f.output, body);
  return 0;
}

}  // namespace

int show_results(const std::string& db, const std::string& suite_run, const std::string& format) {
  ResultsFlags flags;
  flags.db = db;
  flags.run = suite_run;
  flags.format = format;
  return run(flags);
}

void add_results_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ResultsFlags>();
  CLI::App* cmd = app.add_subcommand("results", "Show the stored results of a suite run");
  cmd->add_option("--db", flags->db, "Results store (default anvil.db)");
  cmd->add_option("--run", flags->run, "Suite run: ID, latest or latest~N (default latest)");
  cmd->add_option("--suite", flags->suite, "Only suite runs of this suite");
  cmd->add_option("--target", flags->target, "Only this target");
  cmd->add_option("--scenario", flags->scenario, "Only this scenario");
  cmd->add_option("--format", flags->format,
                  "table, csv, json, or svg (a chart; with -o FILE) (default table)");
  cmd->add_option("-o,--output", flags->output, "Write to FILE instead of stdout");
  cmd->callback([flags, &exit_code] { exit_code = run(*flags); });
}

}  // namespace anvil::cli
