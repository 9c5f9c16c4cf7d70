// Test program for the store's crash safety: begins a suite run, prints its id, then records
// runs back to back (each with many samples, so transactions take a while) until it is killed
// or `max_seconds` pass.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../lab/run_records.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB MAX_SECONDS\n", argv[0]);
    return 2;
  }
  using namespace anvil::lab;
  ResultStore store(argv[1]);
  const int64_t suite_run = store.begin_suite_run(test::suite_info("crash"));
  std::printf("%lld\n", static_cast<long long>(suite_run));
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[2]));
  for (int trial = 1; std::chrono::steady_clock::now() < deadline; ++trial) {
    RunRecord run = test::measured_run("writer", trial, 1000.0 + trial);
    for (int i = 0; i < 2000; ++i) {
      ResourceSample s;
      s.t_s = i * 0.01;
      run.server_samples.push_back(s);
      run.client_samples.push_back(s);
    }
    store.record_run(suite_run, run);
  }
  store.finish_suite_run(suite_run);
  return 0;
}
