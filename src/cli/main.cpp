// anvil: one binary, one subcommand per verb: load (the load generator), run / results / compare
// (the lab). The ETL servers are their own binaries (build/etl-*).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "compare_command.hpp"
#include "load_command.hpp"
#include "results_command.hpp"
#include "run_command.hpp"
#include "usage_error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"anvil: fast HTTP transform servers, and honest HTTP benchmarks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "anvil 0.1.0");
  int exit_code = 0;
  anvil::cli::add_load_command(app, exit_code);
  anvil::cli::add_run_command(app, exit_code);
  anvil::cli::add_results_command(app, exit_code);
  anvil::cli::add_compare_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, one exit code, for every kind of bad input.
    std::fprintf(stderr, "anvil: error: %s\n", e.what());
    return anvil::cli::kExitUsage;
  } catch (const anvil::cli::UsageError& e) {
    std::fprintf(stderr, "anvil: error: %s\n", e.what());
    return anvil::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anvil: error: %s\n", e.what());
    return anvil::cli::kExitFailure;
  }
  return exit_code;
}
