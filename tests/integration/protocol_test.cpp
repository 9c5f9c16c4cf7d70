// What goes on the wire: IPv6 literals, TLS, the request's method, headers and body as the
// server received them, and the pacing of think-time users.

#include <cstdlib>
#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

TEST(Protocol, Ipv6Literal) {
  // ::1 is listed as 00000000000000000000000000000001 when the loopback has IPv6.
  if (read_file("/proc/net/if_inet6").find(std::string(31, '0') + "1") == std::string::npos) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  TestServer server({}, "::1");
  const AnvilRun run =
      run_anvil({server.url("/v6"), "-n", "200", "-c", "4", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  EXPECT_TRUE(consistent(run.report)) << run.describe();
  EXPECT_EQ(status_count(run.report, "200"), 200u) << run.describe();
  EXPECT_EQ(seen["by_path"]["/v6"], 200u) << seen.dump();
}

class Https : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl is not installed";
    }
    const RunResult gen = run_process(
        {"/bin/sh", "-c",
         "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout '" +
             dir_.file("key.pem") + "' -out '" + dir_.file("cert.pem") + "'"},
        30s);
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }

  std::vector<std::string> tls_args() const {
    return {"--tls-cert", dir_.file("cert.pem"), "--tls-key", dir_.file("key.pem")};
  }

  TempDir dir_;
};

TEST_F(Https, InsecureAcceptsSelfSigned) {
  TestServer server(tls_args());
  const AnvilRun run = run_anvil({server.url("/tls", "https"), "--insecure", "-n", "200", "-c", "4",
                                  "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  EXPECT_TRUE(consistent(run.report)) << run.describe();
  EXPECT_EQ(status_count(run.report, "200"), 200u) << run.describe();
  EXPECT_EQ(seen["by_path"]["/tls"], 200u) << seen.dump();
  EXPECT_EQ(run.report["bytes_read"], seen["bytes_written"]);
}

// Certificates are verified by default: against a self-signed one no request may be sent.
TEST_F(Https, VerifiesByDefault) {
  TestServer server(tls_args());
  const AnvilRun run = run_anvil({server.url("/tls", "https"), "-c", "2", "-d", "1s", "--timeout",
                                  "1s", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  EXPECT_TRUE(consistent(run.report)) << run.describe();
  EXPECT_EQ(responses(run.report), 0u) << run.describe();
  EXPECT_GT(failures(run.report), 0u) << run.describe();
  EXPECT_EQ(seen["requests"], 0u) << "a request went over an unverified connection";
}

TEST(Protocol, RequestShapeReachesServer) {
  TestServer server({"--expect-header", "X-A: 1"});
  const AnvilRun run =
      run_anvil({server.url("/shape?q=1"), "-m", "PUT", "--body", "test", "-H", "X-A: 1", "-n",
                 "100", "-c", "2", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  EXPECT_EQ(status_count(run.report, "200"), 100u) << run.describe();
  EXPECT_EQ(seen["requests"], 100u) << seen.dump();
  EXPECT_EQ(seen["by_method"], json({{"PUT", 100}})) << seen.dump();
  EXPECT_EQ(seen["by_path"], json({{"/shape?q=1", 100}})) << seen.dump();
  EXPECT_EQ(seen["header_matches"], 100u) << seen.dump();
  EXPECT_EQ(seen["body_bytes"], 400u) << seen.dump();
}

TEST(Protocol, BodyFileIsSentWhole) {
  TempDir dir;
  const std::string body(10000, 'b');
  const std::string path = dir.write("body.bin", body);
  TestServer server({});
  const AnvilRun run = run_anvil({server.url("/upload"), "-m", "POST", "--body-file", path, "-n",
                                  "50", "-c", "2", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  EXPECT_EQ(status_count(run.report, "200"), 50u) << run.describe();
  EXPECT_EQ(seen["by_method"], json({{"POST", 50}})) << seen.dump();
  EXPECT_EQ(seen["body_bytes"], 50u * body.size()) << seen.dump();
}

// Each user waits for its answer, then thinks uniform(50 ms, 100 ms): about 10 / 0.075 s = 133
// requests/s for 10 users, whatever the server could do.
TEST(Protocol, ThinkTimeUsersPace) {
  TestServer server({});
  const AnvilRun run = run_anvil({server.url(), "--users", "10", "--think", "50ms..100ms", "-d",
                                  "3s", "--json", "-", "--no-progress"});
  const json seen = server.stop();
  ASSERT_EQ(run.exit_code(), 0) << run.describe();
  ASSERT_TRUE(run.report.is_object()) << run.describe();
  const json& r = run.report;
  EXPECT_TRUE(consistent(r)) << run.describe();
  EXPECT_EQ(r["mode"], "users");
  EXPECT_EQ(failures(r), 0u) << r["errors"].dump();
  EXPECT_GT(r["rps"].get<double>(), 80.0) << run.describe();
  EXPECT_LT(r["rps"].get<double>(), 180.0) << run.describe();
  const uint64_t sent = seen["requests"].get<uint64_t>();
  EXPECT_LE(r["requests"].get<uint64_t>(), sent);
  EXPECT_LE(sent, r["requests"].get<uint64_t>() + 10) << "more in flight than users";
}

}  // namespace
}  // namespace anvil::test
