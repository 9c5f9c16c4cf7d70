#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anvil/lab/plan.hpp"
#include "anvil/lab/suite.hpp"

// Runs a suite: for every planned run, start the target fresh in its own process group, wait
// until it is ready, verify that it answers the workload correctly, warm up, measure with the
// driver while sampling both process trees, stop everything, and commit the run to the store.
namespace anvil::lab {

struct RunOptions {
  std::string db_path = "anvil.db";
  PlanOptions plan;
  bool resume = false;
  std::string anvil_binary;  // the driver for `anvil load`: this executable
  std::string binary_dir;    // {binary_dir}: where etl-hello and friends are built
  std::string work_dir;      // logs and scratch files; default: <db>.d next to the db
  bool progress = true;      // one line per run on stderr
  std::vector<std::string> argv;
};

struct SuiteRunOutcome {
  int64_t suite_run_id = 0;
  int planned = 0;
  int measured = 0;  // ok runs
  int failed = 0;    // failed, verify_failed
  int not_installed = 0;
  int skipped = 0;           // already stored (--resume)
  bool interrupted = false;  // SIGINT/SIGTERM: the suite run is left resumable
};

SuiteRunOutcome run_suite(const Suite& suite, const RunOptions& options);

}  // namespace anvil::lab
