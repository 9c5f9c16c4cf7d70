#pragma once

#include <CLI/CLI.hpp>

namespace anvil::cli {

// Registers `anvil compare A B`: two suite runs side by side; exit 3 with --fail-above when a
// configuration got significantly slower by more than the threshold.
void add_compare_command(CLI::App& app, int& exit_code);

}  // namespace anvil::cli
