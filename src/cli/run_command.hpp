#pragma once

#include <CLI/CLI.hpp>

namespace anvil::cli {

// Registers `anvil run SUITE.toml`: runs a benchmark suite into the results store and prints
// its results table.
void add_run_command(CLI::App& app, int& exit_code);

}  // namespace anvil::cli
