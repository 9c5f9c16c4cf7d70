#pragma once

#include <CLI/CLI.hpp>

namespace anvil::cli {

// Registers `anvil load` on the app; the callback runs the load and sets the exit code.
void add_load_command(CLI::App& app, int& exit_code);

}  // namespace anvil::cli
