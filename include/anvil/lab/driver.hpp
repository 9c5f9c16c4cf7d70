#pragma once

#include <string>
#include <vector>

#include "anvil/lab/run_result.hpp"
#include "anvil/lab/suite.hpp"

// Drivers turn a workload and a load shape into driver processes' command lines, and their
// output back into a DriverResult. anvil load is built in (the same binary, run as a child so
// its CPU is sampled apart and it can be pinned); wrk, Locust headless and JSON-line programs
// are external.
namespace anvil::lab {

struct LoadShape {
  enum class Mode { closed, rate } mode = Mode::closed;
  int connections = 1;  // closed: connections (Locust: users); rate: connections available
  double rate = 0;      // requests/s over all replicas (split evenly between them)
  double duration_s = 10;
  double warmup_s = 0;
  double timeout_s = 5;
};

struct DriverInvocation {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string output_path;  // where the result lands (JSON or CSV prefix); "" = stdout
  std::string stdout_path;  // the driver's stdout+stderr captured here
};

// Everything a driver needs to know about where it points.
struct DriverTarget {
  std::string host;
  int port = 0;
  std::string anvil_binary;  // path of the anvil executable for the built-in driver
  std::string venv;          // the project venv (Locust lives there)
  std::string work_dir;      // a per-run scratch directory for scripts, bodies and outputs
};

// Throws SuiteError-like std::invalid_argument when the driver cannot do the shape (wrk has no
// constant-rate mode; Locust does not do pipelining) so the run is recorded as failed.
DriverInvocation build_invocation(const DriverSpec& driver, const WorkloadSpec& workload,
                                  const LoadShape& shape, const DriverTarget& target, int replica);

// Parses one replica's output (the invocation's output file and captured stdout). Throws
// std::runtime_error with a short excerpt when the output cannot be understood.
DriverResult parse_result(const DriverSpec& driver, const DriverInvocation& invocation);

// Sums counts and throughput, merges histograms (never averages percentiles); latency from the
// merged histogram when every replica had one, else the worst replica's percentiles.
DriverResult merge_replicas(const std::vector<DriverResult>& replicas);

// Fills LatencySummary from a histogram (microseconds).
LatencySummary summarize_histogram(const metrics::Histogram& h);

}  // namespace anvil::lab
