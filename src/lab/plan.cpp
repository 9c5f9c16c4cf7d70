#include "anvil/lab/plan.hpp"

#include <algorithm>

namespace anvil::lab {

namespace {

const DriverSpec& find_driver(const Suite& suite, const std::string& name) {
  for (const auto& d : suite.driver_specs) {
    if (d.name == name) return d;
  }
  throw SuiteError(suite.path + ": no driver named '" + name + "'");
}

const WorkloadSpec& find_workload(const Suite& suite, const std::string& name) {
  for (const auto& w : suite.workloads) {
    if (w.name == name) return w;
  }
  throw SuiteError(suite.path + ": no workload named '" + name + "'");
}

bool sweep_applies(const SweepSpec& sweep, const TargetSpec& target) {
  if (!sweep.targets.empty()) {
    return std::find(sweep.targets.begin(), sweep.targets.end(), target.name) !=
           sweep.targets.end();
  }
  for (const auto& arg : target.command) {
    if (arg.find("{" + sweep.param + "}") != std::string::npos) return true;
  }
  for (const auto& [k, v] : target.env) {
    if (v.find("{" + sweep.param + "}") != std::string::npos) return true;
  }
  return false;
}

// Every combination of the sweeps that apply to the target (a cartesian product), over the
// target's own parameter defaults.
std::vector<std::map<std::string, std::string>> parameter_points(const Suite& suite,
                                                                 const TargetSpec& target) {
  std::vector<std::map<std::string, std::string>> points{target.params};
  for (const SweepSpec& sweep : suite.sweeps) {
    if (!sweep_applies(sweep, target)) continue;
    std::vector<std::map<std::string, std::string>> next;
    for (const auto& point : points) {
      for (const auto& value : sweep.values) {
        auto p = point;
        p[sweep.param] = value;
        next.push_back(std::move(p));
      }
    }
    points = std::move(next);
  }
  return points;
}

// Only the swept parameters identify a run; fixed defaults are the same for every run.
std::map<std::string, std::string> swept_only(const Suite& suite, const TargetSpec& target,
                                              const std::map<std::string, std::string>& point) {
  std::map<std::string, std::string> out;
  for (const SweepSpec& sweep : suite.sweeps) {
    if (sweep_applies(sweep, target)) out[sweep.param] = point.at(sweep.param);
  }
  return out;
}

}  // namespace

std::string canonical_params(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out;
}

std::vector<PlannedRun> plan_runs(const Suite& suite, const PlanOptions& options) {
  const int trials = options.quick ? 1 : suite.trials;
  const double scale = options.quick ? suite.quick_scale : 1.0;
  bool target_seen = options.only_target.empty();
  bool scenario_seen = options.only_scenario.empty();
  std::vector<PlannedRun> runs;
  for (int trial = 1; trial <= trials; ++trial) {
    for (const TargetSpec& target : suite.targets) {
      if (!options.only_target.empty() && target.name != options.only_target) continue;
      target_seen = true;
      for (const auto& point : parameter_points(suite, target)) {
        for (const ScenarioSpec& scenario : suite.scenarios) {
          if (!options.only_scenario.empty() && scenario.name != options.only_scenario) continue;
          scenario_seen = true;
          for (int connections : scenario.connections) {
            for (const std::string& driver_name : suite.drivers) {
              PlannedRun run;
              run.target = &target;
              run.scenario = &scenario;
              run.workload = &find_workload(suite, scenario.workload);
              run.driver = &find_driver(suite, driver_name);
              run.params = point;
              run.connections = connections;
              const double base = scenario.kind == ScenarioKind::stress
                                      ? scenario.stress_step_s
                                      : scenario.duration_s.value_or(suite.duration_s);
              run.duration_s = std::max(0.2, base * scale);
              run.warmup_s = suite.warmup_s * scale;
              auto key_params = swept_only(suite, target, point);
              if (scenario.connections.size() > 1) key_params["c"] = std::to_string(connections);
              run.key = {target.name, scenario.name, canonical_params(key_params), driver_name,
                         trial};
              runs.push_back(std::move(run));
            }
          }
        }
      }
    }
  }
  if (!target_seen)
    throw SuiteError("--only: the suite has no target '" + options.only_target + "'");
  if (!scenario_seen) {
    throw SuiteError("--only: the suite has no scenario '" + options.only_scenario + "'");
  }
  return runs;
}

}  // namespace anvil::lab
