#include "anvil/http/request_builder.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "anvil/http/response_parser.hpp"

namespace anvil::http {
namespace {

Url url_of(const char* text) {
  auto url = parse_url(text, nullptr);
  EXPECT_TRUE(url.has_value());
  return *url;
}

TEST(SerializeRequest, MinimalGet) {
  RequestSpec spec;
  EXPECT_EQ(serialize_request(spec, url_of("http://h:8080/x?y"), true),
            "GET /x?y HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: anvil/0.1\r\n\r\n");
}

TEST(SerializeRequest, PutWithBodyAndClose) {
  RequestSpec spec;
  spec.method = "PUT";
  spec.target = "/test";
  spec.headers = {{"X-A", "1"}};
  spec.body = "hello";
  EXPECT_EQ(serialize_request(spec, url_of("https://[::1]/"), false),
            "PUT /test HTTP/1.1\r\nHost: [::1]\r\nX-A: 1\r\nUser-Agent: anvil/0.1\r\n"
            "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
}

TEST(SerializeRequest, EmptyPostGetsContentLengthZero) {
  RequestSpec spec;
  spec.method = "POST";
  const std::string bytes = serialize_request(spec, url_of("http://h/"), true);
  EXPECT_NE(bytes.find("\r\nContent-Length: 0\r\n"), std::string::npos);
  spec.method = "DELETE";
  EXPECT_EQ(serialize_request(spec, url_of("http://h/"), true).find("Content-Length"),
            std::string::npos);
}

TEST(SerializeRequest, UserHeadersReplaceDefaults) {
  RequestSpec spec;
  spec.method = "POST";
  spec.body = "ab";
  spec.headers = {{"host", "other"},
                  {"USER-AGENT", "me"},
                  {"content-length", "2"},
                  {"Connection", "keep-alive"}};
  EXPECT_EQ(serialize_request(spec, url_of("http://h/"), false),
            "POST / HTTP/1.1\r\nhost: other\r\nUSER-AGENT: me\r\ncontent-length: 2\r\n"
            "Connection: keep-alive\r\n\r\nab");
}

struct BadSpec {
  const char* name;
  RequestSpec spec;
  const char* message;
};

class SerializeRequestBad : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SerializeRequestBad, Throws) {
  const BadSpec& c = GetParam();
  try {
    serialize_request(c.spec, url_of("http://h/"), true);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
  }
}

RequestSpec spec_with(std::string method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers,
                      std::string body = "") {
  RequestSpec s;
  s.method = std::move(method);
  s.target = std::move(target);
  s.headers = std::move(headers);
  s.body = std::move(body);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SerializeRequestBad,
    ::testing::Values(
        BadSpec{"method_space", spec_with("GE T", "", {}), "invalid HTTP method"},
        BadSpec{"method_empty", spec_with("", "", {}), "invalid HTTP method"},
        BadSpec{"target_relative", spec_with("GET", "x", {}), "must start with '/'"},
        BadSpec{"target_space", spec_with("GET", "/a b", {}), "whitespace"},
        BadSpec{"name_space", spec_with("GET", "", {{"X A", "1"}}), "invalid header name"},
        BadSpec{"name_colon", spec_with("GET", "", {{"X:", "1"}}), "invalid header name"},
        BadSpec{"value_crlf", spec_with("GET", "", {{"X", "a\r\nEvil: 1"}}), "invalid value"},
        BadSpec{"value_lf", spec_with("GET", "", {{"X", "a\nb"}}), "invalid value"},
        BadSpec{"value_nul", spec_with("GET", "", {{"X", std::string("a\0b", 3)}}),
                "invalid value"},
        BadSpec{"transfer_encoding", spec_with("POST", "", {{"Transfer-Encoding", "chunked"}}),
                "Transfer-Encoding"},
        BadSpec{"content_length_mismatch", spec_with("POST", "", {{"Content-Length", "3"}}, "ab"),
                "does not match"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace anvil::http
