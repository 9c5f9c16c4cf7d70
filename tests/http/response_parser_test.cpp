#include "anvil/http/response_parser.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "http/parser_driver.hpp"

namespace anvil::http {
namespace {

using test::drive_whole;
using test::expect_split_invariant;
using test::Outcome;
using test::Response;

// ---- valid responses ------------------------------------------------------------------------

struct GoodCase {
  const char* name;
  std::string wire;
  std::vector<bool> head_requests;
  std::vector<Response> expected;
};

Response make(int status, BodyFraming framing, bool keep_alive, std::string body,
              std::vector<std::pair<std::string, std::string>> headers, std::string reason = "OK",
              int minor = 1) {
  Response r;
  r.status = status;
  r.minor_version = minor;
  r.reason = std::move(reason);
  r.framing = framing;
  r.keep_alive = keep_alive;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::vector<GoodCase> good_cases() {
  std::vector<GoodCase> cases;
  cases.push_back(
      {"content_length",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
       {},
       {make(200, BodyFraming::content_length, true, "hello", {{"Content-Length", "5"}})}});
  cases.push_back({"nginx_like",
                   "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 "
                   "GMT\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nLast-Modified: Mon, "
                   "01 Jan 2024 00:00:00 GMT\r\nConnection: keep-alive\r\nETag: "
                   "\"65920000-d\"\r\nAccept-Ranges: bytes\r\n\r\nHello, world!",
                   {},
                   {make(200, BodyFraming::content_length, true, "Hello, world!",
                         {{"Server", "nginx/1.22.1"},
                          {"Date", "Mon, 01 Jan 2024 00:00:00 GMT"},
                          {"Content-Type", "text/plain"},
                          {"Content-Length", "13"},
                          {"Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"},
                          {"Connection", "keep-alive"},
                          {"ETag", "\"65920000-d\""},
                          {"Accept-Ranges", "bytes"}})}});
  cases.push_back({"ows_trimmed_and_empty_value",
                   "HTTP/1.1 404 Not Found\r\nX-A: \t v a l \t\r\nX-Empty:\r\nX-Sp:   "
                   "\r\nContent-Length:0\r\n\r\n",
                   {},
                   {make(404, BodyFraming::content_length, true, "",
                         {{"X-A", "v a l"}, {"X-Empty", ""}, {"X-Sp", ""}, {"Content-Length", "0"}},
                         "Not Found")}});
  cases.push_back({"chunked_with_extensions_and_trailers",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;a=b;c=\"q\\\"x\" ; d\r\nhello\r\n"
                   "0000a\r\n0123456789\r\n"
                   "0;last\r\nX-Trailer: t\r\nY: \r\n\r\n",
                   {},
                   {make(200, BodyFraming::chunked, true, "hello0123456789",
                         {{"Transfer-Encoding", "chunked"}})}});
  cases.push_back(
      {"gzip_then_chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       {},
       {make(200, BodyFraming::chunked, true, "abc", {{"Transfer-Encoding", "gzip, chunked"}})}});
  cases.push_back(
      {"until_close",
       "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of this until EOF",
       {},
       {make(200, BodyFraming::until_close, false, "all of this until EOF", {{"Server", "x"}})}});
  cases.push_back({"chunked_not_last_reads_until_close",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw",
                   {},
                   {make(200, BodyFraming::until_close, false, "raw",
                         {{"Transfer-Encoding", "chunked, gzip"}})}});
  cases.push_back(
      {"http10_default_close",
       "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
       {},
       {make(200, BodyFraming::content_length, false, "hi", {{"Content-Length", "2"}}, "OK", 0)}});
  cases.push_back({"http10_keep_alive",
                   "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
                   {},
                   {make(200, BodyFraming::content_length, true, "hi",
                         {{"Connection", "Keep-Alive"}, {"Content-Length", "2"}}, "OK", 0)}});
  cases.push_back({"connection_close_in_list",
                   "HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n",
                   {},
                   {make(200, BodyFraming::content_length, false, "",
                         {{"Connection", "upgrade, CLOSE"}, {"Content-Length", "0"}})}});
  cases.push_back({"identical_content_length_list",
                   "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
                   {},
                   {make(200, BodyFraming::content_length, true, "abc",
                         {{"Content-Length", "3, 3"}, {"Content-Length", "3"}})}});
  cases.push_back(
      {"no_body_204_304",
       "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
       "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
       {},
       {make(204, BodyFraming::none, true, "", {{"Content-Length", "10"}}, "No Content"),
        make(304, BodyFraming::none, true, "", {{"Transfer-Encoding", "chunked"}},
             "Not Modified")}});
  cases.push_back({"head_request_ignores_length",
                   "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
                   {true, false},
                   {make(200, BodyFraming::none, true, "", {{"Content-Length", "1000"}}),
                    make(200, BodyFraming::content_length, true, "x", {{"Content-Length", "1"}})}});
  {
    Response r = make(200, BodyFraming::content_length, true, "ok", {{"Content-Length", "2"}});
    r.interim = 2;
    cases.push_back({"interim_responses_skipped",
                     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                     {},
                     {r}});
  }
  cases.push_back({"switching_protocols_is_final",
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                   {},
                   {make(101, BodyFraming::none, false, "", {{"Upgrade", "websocket"}},
                         "Switching Protocols")}});
  cases.push_back(
      {"reason_empty_or_missing",
       "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 299\r\nContent-Length: "
       "0\r\n\r\n",
       {},
       {make(200, BodyFraming::content_length, true, "", {{"Content-Length", "0"}}, ""),
        make(299, BodyFraming::content_length, true, "", {{"Content-Length", "0"}}, "")}});
  cases.push_back({"reason_with_obs_text_and_tab",
                   "HTTP/1.1 500 Erreur \xe9\tinterne\r\nContent-Length: 0\r\n\r\n",
                   {},
                   {make(500, BodyFraming::content_length, true, "", {{"Content-Length", "0"}},
                         "Erreur \xe9\tinterne")}});
  {
    Response r = make(200, BodyFraming::chunked, false, "abc",
                      {{"Content-Length", "99"}, {"Transfer-Encoding", "chunked"}});
    r.framing_conflict = true;
    cases.push_back({"te_overrides_cl_and_closes",
                     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                     {},
                     {r}});
  }
  cases.push_back(
      {"pipelined_mix",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
       "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
       "HTTP/1.1 404 Nope\r\nContent-Length: 1\r\n\r\nz",
       {false, false, true, false},
       {make(200, BodyFraming::content_length, true, "abc", {{"Content-Length", "3"}}),
        make(201, BodyFraming::chunked, true, "x", {{"Transfer-Encoding", "chunked"}}, "Created"),
        make(200, BodyFraming::none, true, "", {{"Content-Length", "7"}}),
        make(404, BodyFraming::content_length, true, "z", {{"Content-Length", "1"}}, "Nope")}});
  return cases;
}

class GoodResponse : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodResponse, ParsesWhole) {
  const GoodCase& c = GetParam();
  const Outcome got = drive_whole(c.wire, c.head_requests);
  EXPECT_EQ(got.error, ParseError::none) << to_string(got.error);
  ASSERT_EQ(got.responses.size(), c.expected.size());
  for (size_t i = 0; i < c.expected.size(); ++i) {
    EXPECT_EQ(got.responses[i], c.expected[i]) << "response " << i;
  }
}

TEST_P(GoodResponse, SameResultAtEverySplitAndByteByByte) {
  const GoodCase& c = GetParam();
  expect_split_invariant(c.wire, Outcome{c.expected, ParseError::none}, c.head_requests);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoodResponse, ::testing::ValuesIn(good_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- invalid responses: every ParseError ----------------------------------------------------

struct BadCase {
  const char* name;
  std::string wire;
  ParseError error;
  bool eof = true;
};

std::vector<BadCase> bad_cases() {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  return {
      {"status_not_http", "HTTP:1.1 200 OK\r\n\r\n", ParseError::bad_status_line},
      {"status_lowercase", "http/1.1 200 OK\r\n\r\n", ParseError::bad_status_line},
      {"status_bare_lf", "HTTP/1.1 200 OK\n\r\n", ParseError::bad_status_line},
      {"status_ctl_in_reason", "HTTP/1.1 200 O\x01K\r\n\r\n", ParseError::bad_status_line},
      {"status_no_code", "HTTP/1.1\r\n\r\n", ParseError::bad_status_line},
      {"empty_status_line", "\r\nHTTP/1.1 200 OK\r\n\r\n", ParseError::bad_status_line},
      {"version_2", "HTTP/2.0 200 OK\r\n\r\n", ParseError::bad_version},
      {"version_letters", "HTTP/1.x 200 OK\r\n\r\n", ParseError::bad_version},
      {"version_two_digits", "HTTP/11.1 200 OK\r\n\r\n", ParseError::bad_version},
      {"code_short", "HTTP/1.1 20 OK\r\n\r\n", ParseError::bad_status_code},
      {"code_long", "HTTP/1.1 2000 OK\r\n\r\n", ParseError::bad_status_code},
      {"code_letters", "HTTP/1.1 2x0 OK\r\n\r\n", ParseError::bad_status_code},
      {"code_too_small", "HTTP/1.1 099 OK\r\n\r\n", ParseError::bad_status_code},
      {"code_too_large", "HTTP/1.1 600 OK\r\n\r\n", ParseError::bad_status_code},
      {"code_double_space", "HTTP/1.1  200 OK\r\n\r\n", ParseError::bad_status_code},
      {"name_space_before_colon", ok + "Content-Length : 0\r\n\r\n", ParseError::bad_header_name},
      {"name_empty", ok + ": x\r\n\r\n", ParseError::bad_header_name},
      {"name_no_colon", ok + "NoColon\r\n\r\n", ParseError::bad_header_name},
      {"name_bad_char", ok + "Bad\"Name: x\r\n\r\n", ParseError::bad_header_name},
      {"name_ctl", ok + "Bad\x01: x\r\n\r\n", ParseError::bad_header_name},
      {"value_nul", ok + std::string("X: a\0b\r\n\r\n", 10), ParseError::bad_header_value},
      {"value_ctl", ok + "X: a\x1f\r\n\r\n", ParseError::bad_header_value},
      {"value_del", ok + "X: a\x7f\r\n\r\n", ParseError::bad_header_value},
      {"value_bare_lf", ok + "X: a\nY: b\r\n\r\n", ParseError::bad_header_value},
      {"obs_fold", ok + "X: a\r\n  continued\r\n\r\n", ParseError::obs_fold},
      {"obs_fold_tab", ok + "X: a\r\n\tcontinued\r\n\r\n", ParseError::obs_fold},
      {"bare_cr_value", ok + "X: a\rb\r\n\r\n", ParseError::bare_cr},
      {"bare_cr_status", "HTTP/1.1 200 O\rK\r\n\r\n", ParseError::bare_cr},
      {"bare_cr_end", ok + "\rX\r\n", ParseError::bare_cr},
      {"too_many_headers",
       ok +
           [] {
             std::string s;
             for (int i = 0; i < 65; ++i)
               s += "X-" + std::to_string(i) + ": v\r\n";
             return s + "\r\n";
           }(),
       ParseError::too_many_headers},
      {"head_too_large", ok + "X: " + std::string(70 * 1024, 'a') + "\r\n\r\n",
       ParseError::head_too_large},
      {"cl_letters", ok + "Content-Length: 12a\r\n\r\n", ParseError::bad_content_length},
      {"cl_negative", ok + "Content-Length: -1\r\n\r\n", ParseError::bad_content_length},
      {"cl_plus", ok + "Content-Length: +1\r\n\r\n", ParseError::bad_content_length},
      {"cl_empty", ok + "Content-Length: \r\n\r\n", ParseError::bad_content_length},
      {"cl_overflow", ok + "Content-Length: 99999999999999999999999\r\n\r\n",
       ParseError::bad_content_length},
      {"cl_inner_space", ok + "Content-Length: 1 2\r\n\r\n", ParseError::bad_content_length},
      {"cl_differing_list", ok + "Content-Length: 1, 2\r\n\r\nab",
       ParseError::conflicting_content_length},
      {"cl_differing_fields", ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       ParseError::conflicting_content_length},
      {"te_unknown", ok + "Transfer-Encoding: br, chunked\r\n\r\n",
       ParseError::bad_transfer_encoding},
      {"te_chunked_twice", ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::bad_transfer_encoding},
      {"te_chunked_gzip_chunked", ok + "Transfer-Encoding: chunked, gzip, chunked\r\n\r\n",
       ParseError::bad_transfer_encoding},
      {"te_empty", ok + "Transfer-Encoding: \r\n\r\n", ParseError::bad_transfer_encoding},
      {"chunk_size_not_hex", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
       ParseError::bad_chunk_size},
      {"chunk_size_empty", ok + "Transfer-Encoding: chunked\r\n\r\n\r\n",
       ParseError::bad_chunk_size},
      {"chunk_size_overflow", ok + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
       ParseError::bad_chunk_size},
      {"chunk_size_above_limit", ok + "Transfer-Encoding: chunked\r\n\r\n10000000001\r\n",
       ParseError::bad_chunk_size},
      {"chunk_size_bare_lf", ok + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n",
       ParseError::bad_chunk_size},
      {"chunk_size_negative", ok + "Transfer-Encoding: chunked\r\n\r\n-5\r\n",
       ParseError::bad_chunk_size},
      {"chunk_ext_no_name", ok + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n",
       ParseError::bad_chunk_extension},
      {"chunk_ext_bad_value", ok + "Transfer-Encoding: chunked\r\n\r\n5;a=\x01\r\n",
       ParseError::bad_chunk_extension},
      {"chunk_ext_unterminated_quote",
       ok + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n",
       ParseError::bad_chunk_extension},
      {"chunk_ext_too_long",
       ok + "Transfer-Encoding: chunked\r\n\r\n5;a=" + std::string(5000, 'x') + "\r\n",
       ParseError::bad_chunk_extension},
      {"chunk_data_no_crlf", ok + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
       ParseError::bad_chunk_terminator},
      {"chunk_data_lf_only", ok + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
       ParseError::bad_chunk_terminator},
      {"trailer_bad_name", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n",
       ParseError::bad_trailer},
      {"trailer_ctl", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: \x01\r\n\r\n",
       ParseError::bad_trailer},
      {"trailer_obs_fold", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n",
       ParseError::bad_trailer},
      {"trailer_bad_end", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\n\rx",
       ParseError::bad_trailer},
      {"truncated_head", "HTTP/1.1 200 OK\r\nContent-Le", ParseError::truncated_body},
      {"truncated_length", ok + "Content-Length: 10\r\n\r\nabc", ParseError::truncated_body},
      {"truncated_chunked", ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nab",
       ParseError::truncated_body},
      {"truncated_chunked_before_last", ok + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n",
       ParseError::truncated_body},
  };
}

class BadResponse : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadResponse, RejectedWithTheRightError) {
  const BadCase& c = GetParam();
  const Outcome got = drive_whole(c.wire, {}, c.eof);
  EXPECT_EQ(got.error, c.error) << "got " << to_string(got.error);
  EXPECT_TRUE(got.responses.empty());
}

TEST_P(BadResponse, SameErrorAtEverySplit) {
  const BadCase& c = GetParam();
  // Large inputs: a sample of splits (every split would copy gigabytes).
  const size_t stride = c.wire.size() > 2000 ? 997 : 1;
  expect_split_invariant(c.wire, Outcome{{}, c.error}, {}, c.eof, {}, stride);
}

INSTANTIATE_TEST_SUITE_P(Cases, BadResponse, ::testing::ValuesIn(bad_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(BadResponse, EveryParseErrorIsCovered) {
  std::vector<bool> seen(kParseErrorCount, false);
  for (const BadCase& c : bad_cases())
    seen[static_cast<size_t>(c.error)] = true;
  for (int e = 1; e < kParseErrorCount; ++e) {
    if (is_request_only(static_cast<ParseError>(e))) continue;  // request_parser_test covers
    EXPECT_TRUE(seen[static_cast<size_t>(e)]) << to_string(static_cast<ParseError>(e));
  }
}

TEST(ParseError, NamesAreDistinct) {
  std::set<std::string> names;
  for (int e = 0; e < kParseErrorCount; ++e)
    names.insert(to_string(static_cast<ParseError>(e)));
  EXPECT_EQ(names.size(), static_cast<size_t>(kParseErrorCount));
  EXPECT_STREQ(to_string(ParseError::bad_chunk_size), "bad_chunk_size");
}

// ---- contract details -----------------------------------------------------------------------

TEST(ResponseParser, IncompleteHeadConsumesNothingAndResumes) {
  ResponseParser parser;
  std::string buffer = "HTTP/1.1 200 OK\r\nContent-Le";
  auto step = parser.next(buffer);
  EXPECT_EQ(step.event, ResponseParser::Event::need_more);
  EXPECT_EQ(step.consumed, 0u);
  buffer += "ngth: 2\r\n\r\nhi";
  // A moved buffer (a different address) must work: views are rebuilt from offsets.
  const std::string moved = buffer;
  step = parser.next(moved);
  ASSERT_EQ(step.event, ResponseParser::Event::head);
  EXPECT_EQ(step.consumed, moved.size() - 2);
  EXPECT_EQ(parser.head().find("content-length")->value, "2");
  EXPECT_EQ(parser.head().find("CONTENT-LENGTH")->name.data(), moved.data() + 17);
  EXPECT_EQ(parser.head().find("x-missing"), nullptr);
  step = parser.next(std::string_view(moved).substr(step.consumed));
  EXPECT_EQ(step.event, ResponseParser::Event::complete);
  EXPECT_EQ(step.body, "hi");
}

TEST(ResponseParser, LengthBodyEndsExactlyAndLeavesNextResponse) {
  ResponseParser parser;
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1";
  auto step = parser.next(wire);
  ASSERT_EQ(step.event, ResponseParser::Event::head);
  const std::string_view rest = std::string_view(wire).substr(step.consumed);
  step = parser.next(rest);
  EXPECT_EQ(step.event, ResponseParser::Event::complete);
  EXPECT_EQ(step.consumed, 3u);
  EXPECT_EQ(step.body, "abc");
  parser.start(false);
  step = parser.next(rest.substr(3));
  EXPECT_EQ(step.event, ResponseParser::Event::need_more);
  EXPECT_EQ(step.consumed, 0u);
}

TEST(ResponseParser, FinishEofBetweenResponsesIsClean) {
  ResponseParser parser;
  EXPECT_EQ(parser.finish_eof().event, ResponseParser::Event::need_more);
  EXPECT_EQ(parser.error(), ParseError::none);
}

TEST(ResponseParser, ZeroLengthBodyCompletesAtEof) {
  ResponseParser parser;
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parser.next(wire).event, ResponseParser::Event::head);
  EXPECT_EQ(parser.finish_eof().event, ResponseParser::Event::complete);
}

TEST(ResponseParser, ErrorIsSticky) {
  ResponseParser parser;
  EXPECT_EQ(parser.next("XTTP/1.1 200 OK\r\n").event, ResponseParser::Event::error);
  EXPECT_EQ(parser.next("HTTP/1.1 200 OK\r\n\r\n").event, ResponseParser::Event::error);
  EXPECT_EQ(parser.error(), ParseError::bad_status_line);
  parser.start(false);
  EXPECT_EQ(parser.next("HTTP/1.1 200 OK\r\n\r\n").event, ResponseParser::Event::head);
}

TEST(ResponseParser, LimitsAreConfigurable) {
  ParserLimits limits;
  limits.max_headers = 2;
  limits.max_head_bytes = 64;
  const std::string three = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  EXPECT_EQ(drive_whole(three, {}, true, limits).error, ParseError::too_many_headers);
  const std::string two = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(drive_whole(two, {}, true, limits).error, ParseError::too_many_headers);
  limits.max_headers = 3;
  EXPECT_EQ(drive_whole(two, {}, true, limits).error, ParseError::none);
  // Exactly max_head_bytes is accepted, one more byte is not, at every split.
  std::string exact = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: ";
  exact += std::string(64 - exact.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  const Outcome accepted = drive_whole(exact, {}, true, limits);
  EXPECT_EQ(accepted.error, ParseError::none);
  expect_split_invariant(exact, accepted, {}, true, limits);
  std::string over = exact;
  over.insert(40, "b");
  expect_split_invariant(over, Outcome{{}, ParseError::head_too_large}, {}, true, limits);
  limits.max_chunk_size = 15;
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  EXPECT_EQ(drive_whole(chunked, {}, true, limits).error, ParseError::bad_chunk_size);
}

TEST(ResponseParser, UntilCloseBodyIsConsumedAsItArrives) {
  ResponseParser parser;
  ASSERT_EQ(parser.next("HTTP/1.0 200 OK\r\n\r\n").event, ResponseParser::Event::head);
  EXPECT_FALSE(parser.head().keep_alive);
  auto step = parser.next("abc");
  EXPECT_EQ(step.event, ResponseParser::Event::body);
  EXPECT_EQ(step.consumed, 3u);
  EXPECT_EQ(parser.next("").event, ResponseParser::Event::need_more);
  EXPECT_EQ(parser.finish_eof().event, ResponseParser::Event::complete);
  EXPECT_EQ(parser.body_bytes(), 3u);
}

TEST(ResponseParser, Http10TransferEncodingForcesClose) {
  const Outcome got = drive_whole(
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: "
      "chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(got.responses[0].body, "a");
  EXPECT_FALSE(got.responses[0].keep_alive);
}

}  // namespace
}  // namespace anvil::http

namespace anvil::http {
namespace {

TEST(GuardedBufferDeathTest, ReadingPastTheInputCrashes) {
  test::GuardedBuffer guard(16);
  const std::string_view view = guard.place_view("abc");
  EXPECT_EQ(view, "abc");
  volatile const char* past = view.data() + view.size();
  EXPECT_DEATH({ [[maybe_unused]] const char c = *past; }, "");
}

}  // namespace
}  // namespace anvil::http
