// Servers that break the protocol are results, not crashes: anvil exits 0 within its duration
// (+ the request timeout), every failure lands in its error class, and no broken response is
// ever counted as a success.

#include <ostream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

struct MisbehavingCase {
  std::string name;
  std::vector<std::string> server;  // anvil-test-server arguments
  std::string error_class;          // where the failures must be counted
};

void PrintTo(const MisbehavingCase& c, std::ostream* os) {
  *os << c.name;
}

class Misbehaving : public ::testing::TestWithParam<MisbehavingCase> {};

TEST_P(Misbehaving, CountedInItsClassAndBounded) {
  const MisbehavingCase& c = GetParam();
  TestServer server(c.server);
  const AnvilRun run = run_anvil(
      {server.url(), "-c", "4", "-d", "1s", "--timeout", "1s", "--json", "-", "--no-progress"});
  const json seen = server.stop();

  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_LT(run.wall_s(), 1.0 + 1.0 + 2.5) << "not bounded by duration + timeout";
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();

  EXPECT_EQ(responses(r), 0u) << "a broken response was counted: " << r["status"].dump();
  const uint64_t in_class = error_count(r, c.error_class);
  EXPECT_GT(in_class, 0u) << r["errors"].dump();
  // Nearly all failures in the expected class (a last in-flight request may end differently).
  EXPECT_GE(in_class * 10, failures(r) * 9) << r["errors"].dump();
  EXPECT_GT(seen["requests"].get<uint64_t>(), 0u);
  EXPECT_LE(r["requests"].get<uint64_t>(), seen["requests"].get<uint64_t>() + 8)
      << "more failures counted than requests the server received";
}

INSTANTIATE_TEST_SUITE_P(
    Load, Misbehaving,
    ::testing::Values(MisbehavingCase{"reset", {"--mode", "reset"}, "reset"},
                      MisbehavingCase{"garbage", {"--mode", "garbage"}, "parse"},
                      MisbehavingCase{"close_mid", {"--mode", "close-mid"}, "read"}),
    [](const ::testing::TestParamInfo<MisbehavingCase>& p) { return p.param.name; });

TEST(MisbehavingServer, StallEndsInTimeouts) {
  TestServer server({"--mode", "stall"});
  const AnvilRun run = run_anvil(
      {server.url(), "-c", "4", "-d", "2s", "--timeout", "500ms", "--json", "-", "--no-progress"});
  const json seen = server.stop();

  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_LT(run.wall_s(), 2.0 + 0.5 + 2.5) << "not bounded by duration + timeout";
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(responses(r), 0u) << r["status"].dump();
  // 4 connections time out every 0.5 s: at least 3 full rounds fit in 2 s.
  const uint64_t timeouts = error_count(r, "timeout");
  EXPECT_GE(timeouts, 12u) << r["errors"].dump();
  EXPECT_LE(timeouts, 24u) << r["errors"].dump();
  EXPECT_EQ(failures(r), timeouts) << r["errors"].dump();
  // A timed-out request's connection is closed, so each timeout cost the server a connection.
  EXPECT_GE(seen["connections"].get<uint64_t>(), timeouts) << seen.dump();
}

TEST(MisbehavingServer, ConnectionRefused) {
  const int port = closed_port();
  const AnvilRun run = run_anvil({"http://127.0.0.1:" + std::to_string(port) + "/", "-c", "2", "-d",
                                  "1s", "--timeout", "1s", "--json", "-", "--no-progress"});
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  EXPECT_LT(run.wall_s(), 1.0 + 1.0 + 2.5) << "not bounded by duration + timeout";
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(responses(r), 0u);
  EXPECT_GT(error_count(r, "connect"), 0u) << r["errors"].dump();
  EXPECT_EQ(failures(r), error_count(r, "connect")) << r["errors"].dump();
  EXPECT_EQ(r["rps"].get<double>(), 0.0);
}

// HTTP/1.0 without keep-alive, like Python's ThreadingHTTPServer: every answer is a success,
// anvil reconnects for each request.
TEST(MisbehavingServer, Http10ClosesAfterEachResponse) {
  TestServer server({"--mode", "http10"});
  const AnvilRun run =
      run_anvil({server.url(), "-n", "300", "-c", "4", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(r["requests"], 300u);
  EXPECT_EQ(status_count(r, "200"), 300u) << run.describe();
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  EXPECT_EQ(seen["requests"], 300u);
  EXPECT_GE(seen["connections"].get<uint64_t>(), 300u);
}

// The same, with the body delimited by the close (RFC 9112 section 6.3, rule 8).
TEST(MisbehavingServer, Http10CloseDelimitedBody) {
  TestServer server({"--mode", "http10", "--no-content-length"});
  const AnvilRun run =
      run_anvil({server.url(), "-n", "300", "-c", "4", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(status_count(r, "200"), 300u) << run.describe();
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  EXPECT_EQ(seen["requests"], 300u);
  EXPECT_EQ(r["bytes_read"], seen["bytes_written"]);
}

}  // namespace
}  // namespace anvil::test
