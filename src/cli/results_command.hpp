#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace anvil::cli {

// Registers `anvil results`: the stored results of a suite run, one row per configuration.
void add_results_command(CLI::App& app, int& exit_code);

// Prints one suite run's results as `anvil results --run ID --format F` does (for `anvil run`).
int show_results(const std::string& db, const std::string& suite_run, const std::string& format);

}  // namespace anvil::cli
