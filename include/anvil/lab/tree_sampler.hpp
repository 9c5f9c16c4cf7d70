#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "anvil/lab/run_result.hpp"

// Samples a process and all its descendants from /proc on a background thread: CPU user and
// system time, RSS, processes, threads, voluntary and involuntary context switches (summed
// over every thread of every process). Processes that appear later (workers forked after
// start) are picked up at the next sample.
namespace anvil::lab {

class TreeSampler {
 public:
  TreeSampler(pid_t root, double hz = 20);
  ~TreeSampler();  // stops
  TreeSampler(const TreeSampler&) = delete;
  TreeSampler& operator=(const TreeSampler&) = delete;

  void start();                        // takes the baseline sample (t = 0) and starts the thread
  std::vector<ResourceSample> stop();  // takes a last sample, joins, returns all samples

  // One sample of the tree right now, cumulative values absolute (not since a baseline).
  static ResourceSample read_tree(pid_t root);

 private:
  void loop();
  pid_t root_;
  double hz_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<ResourceSample> samples_;
};

// Mean and peak CPU %, peak RSS, threads, context switches per second over the samples.
ResourceSummary summarize(const std::vector<ResourceSample>& samples);

}  // namespace anvil::lab
