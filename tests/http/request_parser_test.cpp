#include "anvil/http/request_parser.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "http/request_driver.hpp"

namespace anvil::http {
namespace {

using test::drive_request_whole;
using test::drive_requests;
using test::expect_request_split_invariant;
using test::Request;
using test::RequestOutcome;

using Fields = std::vector<std::pair<std::string, std::string>>;

Request make(std::string method, std::string target, Fields headers, BodyFraming framing,
             std::string body = "", bool keep_alive = true, int minor = 1) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  const size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  for (const auto& [name, value] : headers) {
    if (name == "Host" || name == "host") r.host = value;
  }
  r.headers = std::move(headers);
  r.framing = framing;
  r.body = std::move(body);
  r.keep_alive = keep_alive;
  r.minor_version = minor;
  return r;
}

// ---- valid requests -------------------------------------------------------------------------

struct GoodCase {
  const char* name;
  std::string wire;
  std::vector<Request> expected;
};

std::vector<GoodCase> good_cases() {
  std::vector<GoodCase> cases;
  cases.push_back({"simple_get",
                   "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                   {make("GET", "/", {{"Host", "a"}}, BodyFraming::none)}});
  cases.push_back(
      {"aistore_hpush",
       "PUT /bck/obj%20name?etl_args=x&uuid=1 HTTP/1.1\r\nHost: 10.0.0.5:8080\r\n"
       "User-Agent: Go-http-client/1.1\r\nContent-Length: 5\r\nAis-Node-Url: http://t:1/x\r\n"
       "Accept-Encoding: gzip\r\n\r\nhello",
       {make("PUT", "/bck/obj%20name?etl_args=x&uuid=1",
             {{"Host", "10.0.0.5:8080"},
              {"User-Agent", "Go-http-client/1.1"},
              {"Content-Length", "5"},
              {"Ais-Node-Url", "http://t:1/x"},
              {"Accept-Encoding", "gzip"}},
             BodyFraming::content_length, "hello")}});
  cases.push_back({"chunked_with_extensions_and_trailers",
                   "PUT /o HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;a=b;c=\"q\\\"x\" ; d\r\nhello\r\n0000a\r\n0123456789\r\n"
                   "0;last\r\nX-Trailer: t\r\nY: \r\n\r\n",
                   {make("PUT", "/o", {{"Host", "h"}, {"Transfer-Encoding", "chunked"}},
                         BodyFraming::chunked, "hello0123456789")}});
  cases.push_back({"transfer_encoding_case_insensitive",
                   "POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: ChUnKeD\r\n\r\n0\r\n\r\n",
                   {make("POST", "/", {{"Host", "h"}, {"transfer-encoding", "ChUnKeD"}},
                         BodyFraming::chunked)}});
  // Trailing OWS is not part of a field value (RFC 9112 §5.1); libhttp-parser 2.9 rejects it
  // after "chunked", anvil does not.
  cases.push_back({"transfer_encoding_trailing_ows",
                   "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked \t\r\n\r\n0\r\n\r\n",
                   {make("POST", "/", {{"Host", "h"}, {"Transfer-Encoding", "chunked"}},
                         BodyFraming::chunked)}});
  cases.push_back(
      {"pipelined_three",
       "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
       "PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
       "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
       {make("GET", "/a", {{"Host", "h"}}, BodyFraming::none),
        make("PUT", "/b", {{"Host", "h"}, {"Content-Length", "3"}}, BodyFraming::content_length,
             "xyz"),
        make("POST", "/c", {{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, BodyFraming::chunked,
             "ab")}});
  cases.push_back({"http10_default_close_no_host",
                   "GET /x HTTP/1.0\r\nUser-Agent: ab\r\n\r\n",
                   {make("GET", "/x", {{"User-Agent", "ab"}}, BodyFraming::none, "", false, 0)}});
  cases.push_back({"http10_keep_alive",
                   "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\n\r\n",
                   {make("GET", "/x", {{"Connection", "Keep-Alive"}, {"Host", "h"}},
                         BodyFraming::none, "", true, 0)}});
  cases.push_back({"http11_connection_close",
                   "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n",
                   {make("GET", "/", {{"Host", "h"}, {"Connection", "foo, close"}},
                         BodyFraming::none, "", false)}});
  cases.push_back({"leading_empty_lines_skipped",
                   "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                   {make("GET", "/", {{"Host", "h"}}, BodyFraming::none)}});
  cases.push_back({"crlf_after_body_before_next_request",
                   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx\r\n"
                   "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                   {make("POST", "/", {{"Host", "h"}, {"Content-Length", "1"}},
                         BodyFraming::content_length, "x"),
                    make("GET", "/", {{"Host", "h"}}, BodyFraming::none)}});
  {
    Request r =
        make("GET", "http://example.com:8080/p/q?x=1#", {{"Host", "ignored"}}, BodyFraming::none);
    r.target = "http://example.com:8080/p/q?x=1";
    r.path = "/p/q";
    r.query = "x=1";
    r.form = TargetForm::absolute;
    cases.push_back({"absolute_form",
                     "GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: ignored\r\n\r\n",
                     {r}});
    r.target = "HTTPS://h?y";
    r.path = "/";
    r.query = "y";
    cases.push_back(
        {"absolute_form_empty_path", "GET HTTPS://h?y HTTP/1.1\r\nHost: ignored\r\n\r\n", {r}});
  }
  {
    Request r = make("OPTIONS", "*", {{"Host", "h"}}, BodyFraming::none);
    r.path = "*";
    r.form = TargetForm::asterisk;
    cases.push_back({"asterisk_options", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", {r}});
  }
  cases.push_back(
      {"identical_content_length_list",
       "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab",
       {make("PUT", "/", {{"Host", "h"}, {"Content-Length", "2, 2"}, {"Content-Length", "2"}},
             BodyFraming::content_length, "ab")}});
  {
    Request r =
        make("PUT", "/o", {{"Host", "h"}, {"Expect", "100-Continue"}, {"Content-Length", "1"}},
             BodyFraming::content_length, "z");
    r.expect_continue = true;
    cases.push_back(
        {"expect_continue",
         "PUT /o HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nz",
         {r}});
    r = make("PUT", "/o", {{"Expect", "100-continue"}, {"Content-Length", "1"}},
             BodyFraming::content_length, "z", false, 0);
    cases.push_back({"expect_ignored_in_http10",
                     "PUT /o HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz",
                     {r}});
  }
  {
    Request r = make("GET", "/ws",
                     {{"Host", "h"},
                      {"Upgrade", "websocket"},
                      {"Connection", "keep-alive, Upgrade"},
                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                      {"Sec-WebSocket-Version", "13"}},
                     BodyFraming::none);
    r.upgrade_websocket = true;
    cases.push_back({"websocket_upgrade",
                     "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                     "Connection: keep-alive, Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
                     "13\r\n\r\n",
                     {r}});
    // Upgrade without "Connection: upgrade" is not an upgrade request (RFC 9110 §7.8).
    r = make("GET", "/ws", {{"Host", "h"}, {"Upgrade", "WebSocket"}}, BodyFraming::none);
    cases.push_back({"upgrade_without_connection_upgrade",
                     "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n\r\n",
                     {r}});
  }
  cases.push_back({"host_forms",
                   "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\nGET / HTTP/1.1\r\nHost:\r\n\r\n"
                   "GET / HTTP/1.1\r\nHost: a-b.c_d~%41:\r\n\r\n",
                   {make("GET", "/", {{"Host", "[::1]:80"}}, BodyFraming::none),
                    make("GET", "/", {{"Host", ""}}, BodyFraming::none),
                    make("GET", "/", {{"Host", "a-b.c_d~%41:"}}, BodyFraming::none)}});
  cases.push_back(
      {"ows_and_obs_text_in_values",
       "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t v a l \t\r\nX-U: caf\xc3\xa9\r\nX-E:\r\n\r\n",
       {make("GET", "/", {{"Host", "h"}, {"X-A", "v a l"}, {"X-U", "caf\xc3\xa9"}, {"X-E", ""}},
             BodyFraming::none)}});
  cases.push_back({"http12_is_http11",
                   "GET / HTTP/1.2\r\nHost: h\r\n\r\n",
                   {make("GET", "/", {{"Host", "h"}}, BodyFraming::none, "", true, 2)}});
  cases.push_back({"token_method_and_rich_target",
                   "M-SEARCH /a/b;p=1/%7E!$&'()*+,=:@-._~?q=/?:@[]{}|^`\\\" HTTP/1.1\r\nHost: "
                   "h\r\n\r\n",
                   {make("M-SEARCH", "/a/b;p=1/%7E!$&'()*+,=:@-._~?q=/?:@[]{}|^`\\\"",
                         {{"Host", "h"}}, BodyFraming::none)}});
  cases.push_back({"zero_content_length",
                   "DELETE /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
                   {make("DELETE", "/x", {{"Host", "h"}, {"Content-Length", "0"}},
                         BodyFraming::content_length)}});
  return cases;
}

class GoodRequest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodRequest, ParsesWhole) {
  const GoodCase& c = GetParam();
  const RequestOutcome got = drive_request_whole(c.wire);
  EXPECT_EQ(got.error, ParseError::none) << to_string(got.error);
  ASSERT_EQ(got.requests.size(), c.expected.size());
  for (size_t i = 0; i < c.expected.size(); ++i)
    EXPECT_EQ(got.requests[i], c.expected[i]) << "request " << i;
}

TEST_P(GoodRequest, SameResultAtEverySplitAndByteByByte) {
  const GoodCase& c = GetParam();
  expect_request_split_invariant(c.wire, RequestOutcome{c.expected, ParseError::none});
}

INSTANTIATE_TEST_SUITE_P(Cases, GoodRequest, ::testing::ValuesIn(good_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- invalid requests -----------------------------------------------------------------------

struct BadCase {
  const char* name;
  std::string wire;
  ParseError error;
  int status;
  bool eof = true;
};

std::vector<BadCase> bad_cases() {
  const std::string get = "GET / HTTP/1.1\r\nHost: h\r\n";
  const std::string te = "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string bad_line = "bad_request_line";
  return {
      {"no_target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"no_version", "GET /\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"lower_case_version", "GET / http/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line,
       400},
      {"version_two_digits", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", ParseError::bad_request_line,
       400},
      {"method_not_token", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"leading_space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"ctl_in_request_line", "GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line,
       400},
      {"nul_in_request_line", std::string("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 28),
       ParseError::bad_request_line, 400},
      {"bare_lf_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n", ParseError::bad_request_line,
       400},
      {"too_many_leading_empty_lines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
       ParseError::bad_request_line, 400},
      {"leading_bare_lf", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_line, 400},
      {"space_in_target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_target,
       400},
      {"tab_in_target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_target,
       400},
      {"obs_text_in_target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
       ParseError::bad_request_target, 400},
      {"fragment_in_target", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_target,
       400},
      {"relative_target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_target,
       400},
      {"authority_form_connect", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
       ParseError::bad_request_target, 400},
      {"asterisk_not_options", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bad_request_target,
       400},
      {"absolute_empty_host", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
       ParseError::bad_request_target, 400},
      {"http2_version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", ParseError::bad_version, 505},
      {"http09_version", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", ParseError::bad_version, 505},
      {"request_line_too_long", "GET /" + std::string(8200, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
       ParseError::request_line_too_long, 414},
      {"request_line_too_long_unterminated", "GET /" + std::string(9000, 'a'),
       ParseError::request_line_too_long, 414, false},
      {"missing_host_http11", "GET / HTTP/1.1\r\nX: y\r\n\r\n", ParseError::bad_host, 400},
      {"duplicate_host", get + "Host: h\r\n\r\n", ParseError::bad_host, 400},
      {"duplicate_host_http10", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
       ParseError::bad_host, 400},
      {"host_with_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ParseError::bad_host, 400},
      {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", ParseError::bad_host, 400},
      {"host_bad_port", "GET / HTTP/1.1\r\nHost: h:8x\r\n\r\n", ParseError::bad_host, 400},
      {"host_bad_pct", "GET / HTTP/1.1\r\nHost: h%4\r\n\r\n", ParseError::bad_host, 400},
      {"host_unclosed_bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", ParseError::bad_host, 400},
      {"space_before_colon", get + "X-A : b\r\n\r\n", ParseError::bad_header_name, 400},
      {"empty_header_name", get + ": b\r\n\r\n", ParseError::bad_header_name, 400},
      {"header_without_colon", get + "NoColon\r\n\r\n", ParseError::bad_header_name, 400},
      {"nul_in_value", get + std::string("X: a\0b\r\n\r\n", 10), ParseError::bad_header_value, 400},
      {"ctl_in_value", get + "X: a\x7f\r\n\r\n", ParseError::bad_header_value, 400},
      {"ctl_in_name", get + "X\x01Y: a\r\n\r\n", ParseError::bad_header_name, 400},
      {"bare_lf_header", get + "X: a\n\r\n", ParseError::bad_header_value, 400},
      {"obs_fold", get + "X: a\r\n b\r\n\r\n", ParseError::obs_fold, 400},
      {"bare_cr_header", get + "X: a\rb\r\n\r\n", ParseError::bare_cr, 400},
      {"bare_cr_request_line", "GET /\r HTTP/1.1\r\n\r\n", ParseError::bare_cr, 400},
      {"too_many_headers",
       get +
           [] {
             std::string s;
             for (int i = 0; i < 64; ++i)
               s += "X-" + std::to_string(i) + ": v\r\n";
             return s;
           }() +
           "\r\n",
       ParseError::too_many_headers, 431},
      {"head_too_large", get + "X: " + std::string(70000, 'v') + "\r\n\r\n",
       ParseError::head_too_large, 431},
      {"content_length_not_digits", get + "Content-Length: 1x\r\n\r\n",
       ParseError::bad_content_length, 400},
      {"content_length_signed", get + "Content-Length: +1\r\n\r\nx", ParseError::bad_content_length,
       400},
      {"content_length_empty", get + "Content-Length:\r\n\r\n", ParseError::bad_content_length,
       400},
      {"content_length_overflow", get + "Content-Length: 18446744073709551616\r\n\r\n",
       ParseError::bad_content_length, 400},
      {"content_length_differing_list", get + "Content-Length: 1, 2\r\n\r\nxy",
       ParseError::conflicting_content_length, 400},
      {"content_length_duplicate_differing", get + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
       ParseError::conflicting_content_length, 400},
      {"te_and_content_length", get + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::conflicting_framing, 400},
      {"content_length_and_te_any_order",
       get + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
       ParseError::conflicting_framing, 400},
      {"te_chunked_not_final", get + "Transfer-Encoding: chunked, gzip\r\n\r\n",
       ParseError::bad_transfer_encoding, 400},
      {"te_only_gzip", get + "Transfer-Encoding: gzip\r\n\r\n", ParseError::bad_transfer_encoding,
       400},
      {"te_unknown_alone", get + "Transfer-Encoding: foo\r\n\r\n",
       ParseError::bad_transfer_encoding, 400},
      {"te_chunked_twice", get + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::bad_transfer_encoding, 400},
      {"te_empty", get + "Transfer-Encoding: ,\r\n\r\n", ParseError::bad_transfer_encoding, 400},
      {"te_in_http10", "PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       ParseError::bad_transfer_encoding, 400},
      {"te_gzip_chunked", get + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       ParseError::unsupported_transfer_coding, 501},
      {"te_unknown_then_chunked",
       get + "Transfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::unsupported_transfer_coding, 501},
      {"content_length_over_max_body", get + "Content-Length: 17179869185\r\n\r\n",
       ParseError::body_too_large, 413},
      {"chunk_over_max_body", te + "400000001\r\n", ParseError::body_too_large, 413},
      {"chunk_size_not_hex", te + "zz\r\n", ParseError::bad_chunk_size, 400},
      {"chunk_size_overflow", te + "10000000000000000\r\n", ParseError::bad_chunk_size, 400},
      {"chunk_size_negative", te + "-1\r\n", ParseError::bad_chunk_size, 400},
      {"chunk_size_bare_lf", te + "5\nhello\r\n0\r\n\r\n", ParseError::bad_chunk_size, 400},
      {"chunk_ext_no_name", te + "5;=x\r\nhello\r\n0\r\n\r\n", ParseError::bad_chunk_extension,
       400},
      {"chunk_ext_too_long", te + "5;a=" + std::string(5000, 'x') + "\r\n",
       ParseError::bad_chunk_extension, 400},
      {"chunk_data_too_long", te + "3\r\nabcd\r\n0\r\n\r\n", ParseError::bad_chunk_terminator, 400},
      {"trailer_obs_fold", te + "0\r\nX: a\r\n b\r\n\r\n", ParseError::bad_trailer, 400},
      {"trailer_bad_name", te + "0\r\nBad Name: x\r\n\r\n", ParseError::bad_trailer, 400},
      {"truncated_head", "GET / HTTP/1.1\r\nHo", ParseError::truncated_body, 400},
      {"truncated_length_body", get + "Content-Length: 10\r\n\r\nabc", ParseError::truncated_body,
       400},
      {"truncated_chunked_body", te + "5\r\nab", ParseError::truncated_body, 400},
  };
}

class BadRequest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRequest, RejectedWithTheRightErrorAndStatus) {
  const BadCase& c = GetParam();
  RequestParser parser;
  const RequestOutcome got = drive_request_whole(c.wire, c.eof);
  EXPECT_EQ(got.error, c.error) << "got " << to_string(got.error);
  EXPECT_EQ(request_error_status(c.error), c.status);
}

TEST_P(BadRequest, SameErrorAtEverySplit) {
  const BadCase& c = GetParam();
  const RequestOutcome whole = drive_request_whole(c.wire, c.eof);
  const size_t stride = c.wire.size() > 2000 ? 997 : 1;
  expect_request_split_invariant(c.wire, whole, c.eof, {}, stride);
}

INSTANTIATE_TEST_SUITE_P(Cases, BadRequest, ::testing::ValuesIn(bad_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(BadRequest, EveryRequestErrorIsCovered) {
  std::set<ParseError> seen;
  for (const BadCase& c : bad_cases())
    seen.insert(c.error);
  for (int e = 1; e < kParseErrorCount; ++e) {
    const auto error = static_cast<ParseError>(e);
    // Status-line errors belong to responses only.
    if (error == ParseError::bad_status_line || error == ParseError::bad_status_code) continue;
    EXPECT_TRUE(seen.count(error) == 1) << to_string(error);
  }
}

TEST(RequestErrorStatus, MapsEveryError) {
  EXPECT_EQ(request_error_status(ParseError::none), 0);
  EXPECT_EQ(request_error_status(ParseError::request_line_too_long), 414);
  EXPECT_EQ(request_error_status(ParseError::head_too_large), 431);
  EXPECT_EQ(request_error_status(ParseError::too_many_headers), 431);
  EXPECT_EQ(request_error_status(ParseError::body_too_large), 413);
  EXPECT_EQ(request_error_status(ParseError::unsupported_transfer_coding), 501);
  EXPECT_EQ(request_error_status(ParseError::bad_version), 505);
  EXPECT_EQ(request_error_status(ParseError::obs_fold), 400);
  EXPECT_EQ(request_error_status(ParseError::conflicting_framing), 400);
  std::set<std::string> names;
  for (int e = 0; e < kParseErrorCount; ++e)
    names.insert(to_string(static_cast<ParseError>(e)));
  EXPECT_EQ(names.size(), static_cast<size_t>(kParseErrorCount));
  EXPECT_STREQ(to_string(ParseError::conflicting_framing), "conflicting_framing");
}

// ---- contract details -----------------------------------------------------------------------

TEST(RequestParser, IncompleteHeadConsumesNothingAndResumes) {
  RequestParser parser;
  const std::string wire = "PUT /o HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  const size_t head_size = wire.find("\r\n\r\n") + 4;
  for (size_t cut = 0; cut < head_size; ++cut) {
    const RequestParser::Step step = parser.next(std::string_view(wire).substr(0, cut));
    ASSERT_EQ(step.event, RequestParser::Event::need_more) << cut;
    ASSERT_EQ(step.consumed, 0u);
  }
  const RequestParser::Step head = parser.next(wire);
  ASSERT_EQ(head.event, RequestParser::Event::head);
  EXPECT_EQ(head.consumed, head_size);
  const RequestParser::Step body = parser.next(std::string_view(wire).substr(head_size));
  EXPECT_EQ(body.event, RequestParser::Event::complete);
  EXPECT_EQ(body.body, "abc");
}

TEST(RequestParser, BodylessRequestCompletesWithoutInput) {
  RequestParser parser;
  const std::string wire = "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2";
  const RequestParser::Step head = parser.next(wire);
  ASSERT_EQ(head.event, RequestParser::Event::head);
  const RequestParser::Step done = parser.next({});
  EXPECT_EQ(done.event, RequestParser::Event::complete);
  EXPECT_EQ(done.consumed, 0u);
  parser.start();
  EXPECT_EQ(parser.next(std::string_view(wire).substr(head.consumed)).event,
            RequestParser::Event::need_more);
}

TEST(RequestParser, LimitsAreExact) {
  RequestLimits limits;
  limits.max_request_line = 64;
  limits.max_head_bytes = 256;
  limits.max_headers = 3;
  limits.max_body = 10;
  auto line = [](size_t size) { return "GET /" + std::string(size - 14, 'a') + " HTTP/1.1\r\n"; };
  ASSERT_EQ(line(64).size(), 66u);
  EXPECT_EQ(drive_request_whole(line(64) + "Host: h\r\n\r\n", true, limits).error,
            ParseError::none);
  EXPECT_EQ(drive_request_whole(line(65) + "Host: h\r\n\r\n", true, limits).error,
            ParseError::request_line_too_long);
  // Unterminated: rejected as soon as 65 bytes of the line are there, not later.
  EXPECT_EQ(drive_request_whole(line(65).substr(0, 65), false, limits).error,
            ParseError::request_line_too_long);
  EXPECT_EQ(drive_request_whole(line(65).substr(0, 64), false, limits).error, ParseError::none);

  const std::string three = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n";
  EXPECT_EQ(drive_request_whole(three + "\r\n", true, limits).error, ParseError::none);
  EXPECT_EQ(drive_request_whole(three + "C: 3\r\n\r\n", true, limits).error,
            ParseError::too_many_headers);

  // A head of exactly max_head_bytes is accepted; one more byte is not.
  const std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  const std::string fits = base + std::string(256 - base.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 256u);
  EXPECT_EQ(drive_request_whole(fits, true, limits).error, ParseError::none);
  const std::string over = base + std::string(256 - base.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(drive_request_whole(over, true, limits).error, ParseError::head_too_large);

  const std::string put = "PUT / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(drive_request_whole(put + "Content-Length: 10\r\n\r\n0123456789", true, limits).error,
            ParseError::none);
  EXPECT_EQ(drive_request_whole(put + "Content-Length: 11\r\n\r\n", true, limits).error,
            ParseError::body_too_large);
}

TEST(RequestParser, ChunkedBodyLimitIsCheckedBeforeDataIsReturned) {
  RequestLimits limits;
  limits.max_body = 10;
  const std::string head = "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const RequestOutcome ok =
      drive_request_whole(head + "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n", true, limits);
  ASSERT_EQ(ok.error, ParseError::none);
  EXPECT_EQ(ok.requests.at(0).body, "abcdefghij");
  // The 11th byte is announced by the second size line: nothing of that chunk is delivered.
  RequestParser parser(limits);
  std::string wire = head + "4\r\nabcd\r\n7\r\nefghijk\r\n0\r\n\r\n";
  std::string_view in(wire);
  std::string body;
  RequestParser::Step step{};
  do {
    step = parser.next(in);
    body.append(step.body);
    in.remove_prefix(step.consumed);
  } while (step.event == RequestParser::Event::head || step.event == RequestParser::Event::body);
  EXPECT_EQ(step.event, RequestParser::Event::error);
  EXPECT_EQ(parser.error(), ParseError::body_too_large);
  EXPECT_EQ(parser.error_status(), 413);
  EXPECT_EQ(body, "abcd");
}

TEST(RequestParser, PathAndQueryViews) {
  struct Case {
    std::string target, path, query;
  };
  const std::vector<Case> cases = {
      {"/", "/", ""},
      {"/a/b?", "/a/b", ""},
      {"/a/b?x=1?y", "/a/b", "x=1?y"},
      {"//double", "//double", ""},
      {"http://h", "/", ""},
      {"http://h:1/", "/", ""},
      {"http://h/a/b?c", "/a/b", "c"},
      {"svn+ssh://h/a?c", "/a", "c"},
  };
  for (const Case& c : cases) {
    const RequestOutcome got =
        drive_request_whole("GET " + c.target + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(got.error, ParseError::none) << c.target;
    EXPECT_EQ(got.requests.at(0).path, c.path) << c.target;
    EXPECT_EQ(got.requests.at(0).query, c.query) << c.target;
  }
}

TEST(RequestParser, FindIsCaseInsensitiveAndFirst) {
  RequestParser parser;
  const std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
  ASSERT_EQ(parser.next(wire).event, RequestParser::Event::head);
  ASSERT_NE(parser.head().find("X-a"), nullptr);
  EXPECT_EQ(parser.head().find("X-a")->value, "1");
  EXPECT_EQ(parser.head().find("missing"), nullptr);
  EXPECT_EQ(parser.head().host, "h");
}

TEST(RequestParser, ErrorIsStickyUntilStart) {
  RequestParser parser;
  ASSERT_EQ(parser.next("GET / HTTP/1.1\r\nX : y\r\n\r\n").event, RequestParser::Event::error);
  EXPECT_EQ(parser.next("GET / HTTP/1.1\r\nHost: h\r\n\r\n").event, RequestParser::Event::error);
  EXPECT_EQ(parser.finish_eof().event, RequestParser::Event::error);
  EXPECT_EQ(parser.error(), ParseError::bad_header_name);
  parser.start();
  EXPECT_EQ(parser.next("GET / HTTP/1.1\r\nHost: h\r\n\r\n").event, RequestParser::Event::head);
}

TEST(RequestParser, FinishEofBetweenRequestsIsClean) {
  RequestParser parser;
  EXPECT_EQ(parser.finish_eof().event, RequestParser::Event::need_more);
  const RequestOutcome got =
      drive_request_whole("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(got.error, ParseError::none);
  EXPECT_EQ(got.requests.size(), 2u);
}

TEST(RequestParser, HugeContentLengthStreamsWithinLimit) {
  RequestLimits limits;
  limits.max_body = UINT64_MAX;
  RequestParser parser(limits);
  const std::string wire =
      "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\nabc";
  const RequestParser::Step head = parser.next(wire);
  ASSERT_EQ(head.event, RequestParser::Event::head);
  EXPECT_EQ(parser.head().content_length, UINT64_MAX);
  const RequestParser::Step body = parser.next(std::string_view(wire).substr(head.consumed));
  EXPECT_EQ(body.event, RequestParser::Event::body);
  EXPECT_EQ(body.body, "abc");
  EXPECT_EQ(parser.finish_eof().event, RequestParser::Event::error);
  EXPECT_EQ(parser.error(), ParseError::truncated_body);
}

}  // namespace
}  // namespace anvil::http
