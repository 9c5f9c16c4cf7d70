// Ground truth for coordinated omission (docs/methodology.md section 2). The server answers at
// once but stops the world for S = 0.4 s every P = 2 s. Driven at a constant rate, a fraction
// S/P = 0.2 of the requests are delayed, uniformly between 0 and S, so
//   P(latency > x) = (S/P) * (1 - x/S)  for 0 <= x <= S,
// which puts p90 at 0.2 s, p95 at 0.3 s and p99 at 0.4 * (1 - 0.01/0.2) = 0.38 s, while p50 stays
// at the instant answer. A tool that measures from the actual send time (or stops sending while
// the server is frozen) reports a p99 near zero instead.

#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

const std::vector<std::string> kFreezeServer{"--mode", "freeze",   "--freeze",
                                             "0.4",    "--period", "2"};

TEST(Truth, ConstantRateSeesTheFreezes) {
  TestServer server(kFreezeServer);
  const AnvilRun run = run_anvil(
      {server.url(), "--rate", "500", "-d", "6s", "-c", "50", "--json", "-", "--no-progress"});
  const json seen = server.stop();

  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(r["mode"], "rate");
  EXPECT_EQ(r["latency_is_service_time"], false);
  EXPECT_DOUBLE_EQ(r["target_rate"].get<double>(), 500.0);
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  // The schedule is kept through the freezes: 6 s at 500/s, not fewer because the server stalled.
  EXPECT_GE(r["requests"].get<uint64_t>(), 2700u);
  EXPECT_LE(r["requests"].get<uint64_t>(), 3100u);
  EXPECT_LE(r["requests"].get<uint64_t>(), seen["requests"].get<uint64_t>());

  EXPECT_LT(latency_s(r, "p50"), 0.05) << r["latency_us"].dump();
  EXPECT_GT(latency_s(r, "p90"), 0.12) << r["latency_us"].dump();
  EXPECT_LT(latency_s(r, "p90"), 0.28) << r["latency_us"].dump();
  EXPECT_GT(latency_s(r, "p99"), 0.25) << "coordinated omission: " << r["latency_us"].dump();
  EXPECT_LT(latency_s(r, "p99"), 0.55) << r["latency_us"].dump();
  EXPECT_LT(latency_s(r, "max"), 0.8) << r["latency_us"].dump();
}

TEST(Truth, ClosedLoopReportsServiceTime) {
  TestServer server(kFreezeServer);
  const AnvilRun run =
      run_anvil({server.url(), "-c", "8", "-d", "6s", "--json", "-", "--no-progress"});
  server.stop();

  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(r["mode"], "closed");
  EXPECT_EQ(r["latency_is_service_time"], true);
  EXPECT_TRUE(r["target_rate"].is_null()) << r["target_rate"];
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  // The requests caught in a freeze waited for its end: the service time saw the pauses.
  EXPECT_GT(latency_s(r, "max"), 0.25) << r["latency_us"].dump();
  EXPECT_LT(latency_s(r, "max"), 0.8) << r["latency_us"].dump();
}

}  // namespace
}  // namespace anvil::test
