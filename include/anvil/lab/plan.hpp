#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anvil/lab/store.hpp"
#include "anvil/lab/suite.hpp"

// The runs a suite asks for, in the order they are measured: trial by trial, so that the
// trials of one target are spread over the whole session and a slow drift of the machine
// (thermal, a noisy neighbour) touches every target alike instead of biasing one.
namespace anvil::lab {

struct PlanOptions {
  bool quick = false;       // durations x quick_scale, one trial
  std::string only_target;  // --only TARGET[/SCENARIO]
  std::string only_scenario;
};

struct PlannedRun {
  RunKey key;
  const TargetSpec* target = nullptr;
  const ScenarioSpec* scenario = nullptr;
  const WorkloadSpec* workload = nullptr;
  const DriverSpec* driver = nullptr;
  std::map<std::string, std::string> params;  // sweep values and the target's defaults
  int connections = 1;
  double duration_s = 0;  // measured window (stress: per step)
  double warmup_s = 0;
};

// Throws SuiteError when --only names nothing in the suite.
std::vector<PlannedRun> plan_runs(const Suite& suite, const PlanOptions& options);

// "workers=4,c=64" style canonical parameter text for run keys and reports.
std::string canonical_params(const std::map<std::string, std::string>& params);

}  // namespace anvil::lab
