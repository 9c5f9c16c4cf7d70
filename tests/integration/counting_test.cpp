// Exact counting: anvil's report must agree, request for request, with what the test server
// itself saw. The server answers 200, 404, 500 in turn from one global counter, so 2000 requests
// are exactly 667 + 667 + 666 whatever the order, connection layout or pipelining.

#include <ostream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

struct CountingCase {
  std::string name;
  std::vector<std::string> extra;  // appended to `-n 2000 -c 8`
  bool keepalive = true;
  int pipeline = 1;
  int threads = 1;
};

void PrintTo(const CountingCase& c, std::ostream* os) {
  *os << c.name;
}

class Counting : public ::testing::TestWithParam<CountingCase> {};

TEST_P(Counting, MatchesServerExactly) {
  const CountingCase& c = GetParam();
  TestServer server({"--status-cycle", "200,404,500"});
  std::vector<std::string> args{server.url("/count"), "-n", "2000", "-c", "8", "--json", "-",
                                "--no-progress"};
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  const AnvilRun run = run_anvil(args);
  const json seen = server.stop();

  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();

  // The server's own count is the truth: exactly N sent, N answered, none lost or duplicated.
  EXPECT_EQ(seen["requests"], 2000u) << seen.dump();
  EXPECT_EQ(seen["by_path"]["/count"], 2000u) << seen.dump();
  EXPECT_EQ(r["requests"], 2000u);
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  EXPECT_EQ(status_count(r, "200"), 667u) << r["status"].dump();
  EXPECT_EQ(status_count(r, "404"), 667u) << r["status"].dump();
  EXPECT_EQ(status_count(r, "500"), 666u) << r["status"].dump();
  EXPECT_EQ(r["status"], seen["by_status"]);
  EXPECT_EQ(error_count(r, "status_4xx"), 667u);
  EXPECT_EQ(error_count(r, "status_5xx"), 666u);
  // Every byte the server wrote was read (heads and bodies; all responses were complete).
  EXPECT_EQ(r["bytes_read"], seen["bytes_written"]);

  if (c.keepalive) {
    EXPECT_LE(seen["connections"].get<uint64_t>(), 8u) << "keep-alive connections were not reused";
  } else {
    EXPECT_EQ(seen["connections"], 2000u) << "--no-keepalive must open one connection per request";
  }
  EXPECT_EQ(r["mode"], "closed");
  EXPECT_EQ(r["latency_is_service_time"], true);
  const json& cfg = r["config"];
  EXPECT_EQ(cfg["keepalive"], c.keepalive) << cfg.dump();
  EXPECT_EQ(cfg["pipeline"], c.pipeline) << cfg.dump();
  EXPECT_EQ(cfg["threads"], c.threads) << cfg.dump();
  EXPECT_EQ(cfg["connections"], 8) << cfg.dump();
}

INSTANTIATE_TEST_SUITE_P(Load, Counting,
                         ::testing::Values(CountingCase{"keepalive", {}},
                                           CountingCase{"pipeline4", {"--pipeline", "4"}, true, 4},
                                           CountingCase{"no_keepalive", {"--no-keepalive"}, false},
                                           CountingCase{"two_threads", {"-t", "2"}, true, 1, 2}),
                         [](const ::testing::TestParamInfo<CountingCase>& p) {
                           return p.param.name;
                         });

}  // namespace
}  // namespace anvil::test
