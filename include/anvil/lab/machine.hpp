#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "anvil/lab/suite.hpp"

// What a result depends on besides the code under test: captured once per suite run and
// stored with it, and the conditions worth a warning before measuring.
namespace anvil::lab {

// CPU model and count, kernel, compiler, anvil's git commit, the command line, and the
// versions of every peer and driver the suite can use (Python packages of the venv, Go,
// nginx, wrk, Locust).
nlohmann::json capture_environment(const Suite& suite, const std::vector<std::string>& argv);

// A CPU frequency governor other than "performance" (as Google Benchmark warns), a busy
// machine (1-minute load average above half the CPUs), fewer than 5 trials.
std::vector<std::string> machine_warnings(const Suite& suite, int trials);

// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> usable_cpus();

// Runs argv (no shell), returns its first line of stdout+stderr, "" when it cannot run.
std::string first_output_line(const std::vector<std::string>& argv);

}  // namespace anvil::lab
