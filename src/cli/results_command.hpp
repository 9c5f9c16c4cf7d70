#pragma once

#include <CLI/CLI.hpp>

namespace anvil::cli {

// Registers `anvil results`: the stored results of a suite run, one row per configuration.
void add_results_command(CLI::App& app, int& exit_code);

}  // namespace anvil::cli
