// --threshold: a breached objective is exit code 3 and a line that names it; a kept one is
// exit code 0. The report goes to a file so stdout and stderr hold only the human output.

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A line of stdout or stderr that names `metric` and says it was breached: it quotes the
// threshold as written, or names the metric next to a word for the breach.
bool names_breach(const AnvilRun& run, const std::string& metric, const std::string& threshold) {
  std::istringstream all(run.out() + "\n" + run.err());
  for (std::string line; std::getline(all, line);) {
    if (line.find(threshold) != std::string::npos) return true;
    const std::string l = lower(line);
    if (l.find(metric) == std::string::npos) continue;
    for (const char* word : {"threshold", "breach", "fail", "exceed", "violat"}) {
      if (l.find(word) != std::string::npos) return true;
    }
  }
  return false;
}

TEST(Threshold, LatencyBreachExitsThree) {
  TempDir dir;
  TestServer server({});
  const AnvilRun run = run_anvil({server.url(), "-n", "200", "-c", "2", "--threshold", "p99<1us",
                                  "--json", dir.file("r.json"), "--no-progress"});
  server.stop();
  EXPECT_EQ(run.exit_code(), 3) << run.describe();
  EXPECT_TRUE(names_breach(run, "p99", "p99<1us")) << run.describe();
  // The report is still written, and complete.
  const json r = json::parse(read_file(dir.file("r.json")), nullptr, false);
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(status_count(r, "200"), 200u);
}

TEST(Threshold, ErrorRateBreachExitsThree) {
  TempDir dir;
  TestServer server({"--mode", "reset"});
  const AnvilRun run = run_anvil({server.url(), "-n", "200", "-c", "2", "--threshold", "errors<1%",
                                  "--json", dir.file("r.json"), "--no-progress"});
  server.stop();
  EXPECT_EQ(run.exit_code(), 3) << run.describe();
  EXPECT_TRUE(names_breach(run, "errors", "errors<1%")) << run.describe();
}

TEST(Threshold, KeptObjectivesExitZero) {
  TempDir dir;
  TestServer server({});
  const AnvilRun run =
      run_anvil({server.url(), "-n", "200", "-c", "2", "--threshold", "p99<10s", "--threshold",
                 "errors<1%", "--json", dir.file("r.json"), "--no-progress"});
  server.stop();
  EXPECT_EQ(run.exit_code(), 0) << run.describe();
  const json r = json::parse(read_file(dir.file("r.json")), nullptr, false);
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(status_count(r, "200"), 200u);
}

}  // namespace
}  // namespace anvil::test
