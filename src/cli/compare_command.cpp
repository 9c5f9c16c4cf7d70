#include "compare_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "anvil/lab/compare.hpp"
#include "lab_store_access.hpp"
#include "usage_error.hpp"

namespace anvil::cli {
namespace {

struct CompareFlags {
  std::string a;
  std::string b;
  std::string db = "anvil.db";
  std::string suite;
  std::string fail_above;
  std::string format = "table";
  std::string output;
};

int run(const CompareFlags& f) {
  const std::optional<lab::ReportFormat> format = lab::report_format_from_string(f.format);
  if (!format) throw UsageError("--format '" + f.format + "' must be table, csv or json");
  std::optional<double> fail_above;
  if (!f.fail_above.empty()) {
    fail_above = lab::parse_percent(f.fail_above);
    if (!fail_above) {
      throw UsageError("--fail-above '" + f.fail_above + "' must be a percentage, e.g. 5%");
    }
  }
  auto store = open_existing_store(f.db);
  const lab::SuiteRunRow a = resolve_suite_run(*store, f.db, f.a, f.suite);
  const lab::SuiteRunRow b = resolve_suite_run(*store, f.db, f.b, f.suite);

  auto rows_of = [&](int64_t id) {
    lab::RunFilter filter;
    filter.suite_run_id = id;
    return lab::aggregate_runs(store->query_runs(filter));
  };
  lab::Comparison comparison = lab::compare_rows(rows_of(a.id), rows_of(b.id));
  comparison.suite_run_a = a.id;
  comparison.suite_run_b = b.id;
  write_output(f.output, lab::format_comparison(comparison, *format));
  if (*format != lab::ReportFormat::table) {
    for (const std::string& w : comparison.warnings)
      std::fprintf(stderr, "warning: %s\n", w.c_str());
  }

  if (!fail_above) return 0;
  int regressions = 0;
  for (const lab::CompareRow& r : comparison.rows) {
    if (!r.regressed_beyond(*fail_above)) continue;
    ++regressions;
    std::fprintf(
        stderr, "anvil: %s/%s%s%s (%s) got slower beyond --fail-above %s: %s\n", r.target.c_str(),
        r.scenario.c_str(), r.params.empty() ? "" : " ", r.params.c_str(), r.driver.c_str(),
        f.fail_above.c_str(),
        fmt::format("throughput {:+.1f}%, p99 {:+.1f}%, p={:.3f}", r.rps_change.value_or(0) * 100,
                    r.p99_change.value_or(0) * 100, r.p_value.value_or(1))
            .c_str());
  }
  return regressions > 0 ? kExitThreshold : 0;
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare two suite runs, trial spread included");
  cmd->add_option("a", flags->a, "Suite run A (the baseline): ID, latest or latest~N")->required();
  cmd->add_option("b", flags->b, "Suite run B: ID, latest or latest~N")->required();
  cmd->add_option("--db", flags->db, "Results store (default anvil.db)");
  cmd->add_option("--suite", flags->suite, "Resolve latest / latest~N within this suite");
  cmd->add_option("--fail-above", flags->fail_above,
                  "Exit 3 when a configuration got significantly slower by more, e.g. 5%");
  cmd->add_option("--format", flags->format, "table, csv or json (default table)");
  cmd->add_option("-o,--output", flags->output, "Write to FILE instead of stdout");
  cmd->callback([flags, &exit_code] { exit_code = run(*flags); });
}

}  // namespace anvil::cli
