// Differential test: anvil's ResponseParser against Debian's libhttp-parser (nodejs/http-parser
// 2.9) as an independent oracle, over generated valid responses and generated invalid ones.
#include <http_parser.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anvil/http/response_parser.hpp"
#include "anvil/http/syntax.hpp"
#include "http/parser_driver.hpp"
#include "http/response_generator.hpp"

namespace anvil::http {
namespace {

struct OracleMessage {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
};

struct OracleResult {
  std::vector<OracleMessage> messages;  // 1xx interim messages dropped
  bool error = false;
};

// libhttp-parser, response mode; head_requests says which responses answer a HEAD.
class Oracle {
 public:
  const char* last_error() const { return http_errno_name(HTTP_PARSER_ERRNO(&parser_)); }

  OracleResult run(std::string_view wire, const std::vector<bool>& head_requests, bool eof) {
    head_requests_ = head_requests;
    final_index_ = 0;
    result_ = {};
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = [](http_parser* p) { return self(p)->begin(); };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
      return self(p)->field(at, n);
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
      return self(p)->value(at, n);
    };
    s.on_headers_complete = [](http_parser* p) { return self(p)->headers_complete(); };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
      self(p)->current_.body.append(at, n);
      return 0;
    };
    s.on_message_complete = [](http_parser* p) { return self(p)->complete(); };
    const size_t n = http_parser_execute(&parser_, &s, wire.data(), wire.size());
    if (n != wire.size() || HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
      result_.error = true;
      return result_;
    }
    if (eof) {
      http_parser_execute(&parser_, &s, nullptr, 0);
      if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) result_.error = true;
    }
    return result_;
  }

 private:
  static Oracle* self(http_parser* p) { return static_cast<Oracle*>(p->data); }
  int begin() {
    current_ = {};
    in_value_ = false;
    in_trailers_ = false;
    return 0;
  }
  int field(const char* at, size_t n) {
    if (in_trailers_) return 0;  // trailers are discarded, as anvil does
    if (in_value_ || current_.headers.empty()) current_.headers.emplace_back();
    in_value_ = false;
    current_.headers.back().first.append(at, n);
    return 0;
  }
  int value(const char* at, size_t n) {
    if (in_trailers_) return 0;
    in_value_ = true;
    current_.headers.back().second.append(at, n);
    return 0;
  }
  int headers_complete() {
    in_trailers_ = true;
    current_.status = static_cast<int>(parser_.status_code);
    for (auto& h : current_.headers)
      h.second = std::string(syntax::trim_ows(h.second));
    const bool interim =
        parser_.status_code >= 100 && parser_.status_code < 200 && parser_.status_code != 101;
    // 1: no body, as the library documents; the caller (node, in its case) decides it for
    // HEAD and for 204/304 with a Content-Length (RFC 9112 §6.3 item 1).
    if (parser_.status_code == 204 || parser_.status_code == 304) return 1;
    if (!interim && final_index_ < head_requests_.size() && head_requests_[final_index_]) return 1;
    return 0;
  }
  int complete() {
    const bool interim = current_.status >= 100 && current_.status < 200 && current_.status != 101;
    if (!interim) {
      current_.keep_alive = http_should_keep_alive(&parser_) != 0;
      result_.messages.push_back(current_);
      ++final_index_;
    }
    return 0;
  }

  http_parser parser_{};
  std::vector<bool> head_requests_;
  size_t final_index_ = 0;
  OracleMessage current_;
  bool in_value_ = false;
  bool in_trailers_ = false;
  OracleResult result_;
};

void expect_same(const test::Outcome& ours, const OracleResult& oracle, const Oracle& parser,
                 const std::string& wire) {
  ASSERT_EQ(ours.error == ParseError::none, !oracle.error)
      << "ours: " << to_string(ours.error) << ", oracle: " << parser.last_error() << "\n"
      << ::testing::PrintToString(wire);
  ASSERT_EQ(ours.responses.size(), oracle.messages.size());
  for (size_t i = 0; i < ours.responses.size(); ++i) {
    const test::Response& a = ours.responses[i];
    const OracleMessage& b = oracle.messages[i];
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.keep_alive, b.keep_alive) << ::testing::PrintToString(wire);
  }
}

TEST(Differential, GeneratedValidResponsesAgreeWithLibHttpParser) {
  test::ResponseGenerator gen(20240601);
  Oracle oracle;
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
    const OracleResult theirs = oracle.run(wire, heads, true);
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
  Oracle oracle;
  for (const Mutation& m : mutations()) {
    const test::Outcome ours = test::drive_whole(m.wire, {}, true);
    EXPECT_NE(ours.error, ParseError::none) << m.name;
    EXPECT_EQ(oracle.run(m.wire, {}, true).error, m.oracle_rejects)
        << m.name << ": " << oracle.last_error();
  }
}

}  // namespace
}  // namespace anvil::http
