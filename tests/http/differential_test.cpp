// Differential test: anvil's ResponseParser against Debian's libhttp-parser (nodejs/http-parser
// 2.9) as an independent oracle, over generated valid responses and generated invalid ones.
#include <http_parser.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anvil/http/response_parser.hpp"
#include "http/http_parser_oracle.hpp"
#include "http/parser_driver.hpp"
#include "http/response_generator.hpp"

namespace anvil::http {
namespace {

using test::HttpParserOracle;

void expect_same(const test::Outcome& ours, const test::OracleResult& oracle,
                 const HttpParserOracle& parser, const std::string& wire) {
  test::expect_same(
      ours.responses, ours.error, oracle, parser, wire,
      [](const test::Response& a, const test::OracleMessage& b) { EXPECT_EQ(a.status, b.status); });
}

TEST(Differential, GeneratedValidResponsesAgreeWithLibHttpParser) {
  test::ResponseGenerator gen(20240601);
  HttpParserOracle oracle(HTTP_RESPONSE);
  for (int round = 0; round < 3000; ++round) {
    // A pipelined connection of 1..4 responses; the last may be delimited by EOF.
    const int count = 1 + static_cast<int>(gen.pick(4));
    std::string wire;
    std::vector<bool> heads;
    std::vector<test::Generated> expected;
    for (int i = 0; i < count; ++i) {
      expected.push_back(gen.next(i + 1 == count));
      wire += expected.back().wire;
      heads.push_back(expected.back().head_request);
      if (!expected.back().keep_alive) break;  // nothing may follow a closing response
    }
    const test::Outcome ours = test::drive_whole(wire, heads, true);
    const test::OracleResult theirs = oracle.run(wire, true, heads);
    expect_same(ours, theirs, oracle, wire);
    // The generator's own expectation, too (guards against both parsers sharing a bug).
    ASSERT_EQ(ours.responses.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(ours.responses[i].status, expected[i].status);
      EXPECT_EQ(ours.responses[i].body, expected[i].body);
      EXPECT_EQ(ours.responses[i].headers, expected[i].headers);
      EXPECT_EQ(ours.responses[i].keep_alive, expected[i].keep_alive);
    }
    if (::testing::Test::HasFailure()) return;
    // Random two-piece split: the same result.
    const size_t cut = gen.pick(wire.size() + 1);
    const std::string_view w(wire);
    ASSERT_EQ(test::drive({w.substr(0, cut), w.substr(cut)}, heads, true), ours);
  }
}

// Single-defect mutations of a valid response. `oracle_rejects` records libhttp-parser's
// verdict: where it is false, libhttp-parser is laxer than RFC 9112 and anvil rejects on purpose.
struct Mutation {
  const char* name;
  std::string wire;
  bool oracle_rejects;
};

std::vector<Mutation> mutations() {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  const std::string te = ok + "Transfer-Encoding: chunked\r\n\r\n";
  return {
      {"bad_status_code", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", true},
      {"bad_name_char", ok + "Bad\"Name: x\r\nContent-Length: 0\r\n\r\n", true},
      {"nul_in_value", ok + std::string("X: a\0b\r\nContent-Length: 0\r\n\r\n", 29), true},
      {"ctl_in_value", ok + "X: a\x01\r\nContent-Length: 0\r\n\r\n", true},
      {"bad_content_length", ok + "Content-Length: 1x\r\n\r\na", true},
      {"differing_content_lengths", ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", true},
      {"bad_chunk_size", te + "zz\r\n", true},
      {"chunk_without_crlf", te + "3\r\nabcd\r\n0\r\n\r\n", true},
      {"trailer_without_colon", te + "0\r\nNoColon\r\n\r\n", true},
      {"truncated_length", ok + "Content-Length: 10\r\n\r\nabc", true},
      {"truncated_chunked", te + "5\r\nab", true},
      // Intended differences: libhttp-parser 2.9 accepts these, RFC 9112 says reject.
      {"http_2_0_version", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"space_before_colon", ok + "Content-Length : 0\r\n\r\n", false},
      {"obs_fold", ok + "X: a\r\n b\r\nContent-Length: 0\r\n\r\n", false},
      {"bare_lf_lines", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", false},
      {"status_below_100", "HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"unknown_transfer_coding", ok + "Transfer-Encoding: br\r\n\r\nxyz", false},
      {"chunked_twice", ok + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", false},
      {"bad_chunk_extension", te + "3;=x\r\nabc\r\n0\r\n\r\n", false},
  };
}

TEST(Differential, InvalidResponsesRejectedAndLaxnessDocumented) {
  HttpParserOracle oracle(HTTP_RESPONSE);
  for (const Mutation& m : mutations()) {
    const test::Outcome ours = test::drive_whole(m.wire, {}, true);
    EXPECT_NE(ours.error, ParseError::none) << m.name;
    EXPECT_EQ(oracle.run(m.wire, true).error, m.oracle_rejects)
        << m.name << ": " << oracle.last_error();
  }
}

}  // namespace
}  // namespace anvil::http
