// Bad input is the user's error, not a load result: exit code 2 and exactly one stderr line
// starting "anvil: error: ", before any load is generated.

#include <ostream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace anvil::test {
namespace {

constexpr std::string_view kUrl = "URL";  // replaced by a URL nothing listens on

struct BadInputCase {
  std::string name;
  std::vector<std::string> args;  // `anvil load` arguments; kUrl stands for a valid URL
};

void PrintTo(const BadInputCase& c, std::ostream* os) {
  *os << c.name;
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, ExitsTwoWithOneErrorLine) {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  std::vector<std::string> args = GetParam().args;
  for (std::string& a : args) {
    if (a == kUrl) a = url;
  }
  const AnvilRun run = run_anvil(args, 15s);

  EXPECT_EQ(run.exit_code(), 2) << run.describe();
  EXPECT_LT(run.wall_s(), 5.0) << run.describe();
  std::string err = run.err();
  ASSERT_FALSE(err.empty()) << run.describe();
  if (err.back() == '\n') err.pop_back();
  EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one stderr line:" << run.describe();
  EXPECT_EQ(err.rfind("anvil: error: ", 0), 0u) << run.describe();
  EXPECT_GT(err.size(), std::string_view("anvil: error: ").size()) << "empty message";
}

INSTANTIATE_TEST_SUITE_P(
    Load, BadInput,
    ::testing::Values(BadInputCase{"scheme_typo", {"htp:/x"}}, BadInputCase{"no_host", {"http://"}},
                      BadInputCase{"unclosed_ipv6_bracket", {"http://[::1"}},
                      BadInputCase{"port_out_of_range", {"http://127.0.0.1:70000/"}},
                      BadInputCase{"missing_url", {"-n", "1"}},
                      BadInputCase{"unknown_flag", {std::string(kUrl), "--no-such-flag"}},
                      BadInputCase{"unreadable_body_file",
                                   {std::string(kUrl), "--body-file", "/nonexistent/anvil/body"}},
                      BadInputCase{"rate_zero", {std::string(kUrl), "--rate", "0"}},
                      BadInputCase{"rate_negative", {std::string(kUrl), "--rate", "-5"}},
                      BadInputCase{"duration_zero", {std::string(kUrl), "--duration", "0s"}},
                      BadInputCase{"duration_negative", {std::string(kUrl), "--duration", "-1s"}},
                      BadInputCase{"duration_not_a_number",
                                   {std::string(kUrl), "--duration", "abc"}},
                      BadInputCase{"connections_zero", {std::string(kUrl), "-c", "0"}},
                      BadInputCase{"unresolvable_host", {"http://no-such-host.invalid/"}}),
    [](const ::testing::TestParamInfo<BadInputCase>& p) { return p.param.name; });

}  // namespace
}  // namespace anvil::test
