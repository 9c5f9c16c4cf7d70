#include "anvil/http/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace anvil::http {
namespace {

struct GoodUrl {
  const char* text;
  const char* scheme;
  const char* host;
  uint16_t port;
  const char* target;
  const char* host_header;
};

class UrlGood : public ::testing::TestWithParam<GoodUrl> {};

TEST_P(UrlGood, Parses) {
  const GoodUrl& c = GetParam();
  std::string error;
  const auto url = parse_url(c.text, &error);
  ASSERT_TRUE(url.has_value()) << c.text << ": " << error;
  EXPECT_EQ(url->scheme, c.scheme);
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
  EXPECT_EQ(url->host_header(), c.host_header);
  EXPECT_EQ(url->tls(), std::string(c.scheme) == "https");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UrlGood,
    ::testing::Values(
        GoodUrl{"http://example.com", "http", "example.com", 80, "/", "example.com"},
        GoodUrl{"http://example.com/", "http", "example.com", 80, "/", "example.com"},
        GoodUrl{"HTTPS://Example.com/a/b?x=1&y=2#frag", "https", "Example.com", 443, "/a/b?x=1&y=2",
                "Example.com"},
        GoodUrl{"https://h:8443", "https", "h", 8443, "/", "h:8443"},
        GoodUrl{"http://h:443/x", "http", "h", 443, "/x", "h:443"},
        GoodUrl{"https://h:443/x", "https", "h", 443, "/x", "h"},
        GoodUrl{"http://127.0.0.1:8080/x", "http", "127.0.0.1", 8080, "/x", "127.0.0.1:8080"},
        GoodUrl{"http://[::1]:8080/x", "http", "::1", 8080, "/x", "[::1]:8080"},
        GoodUrl{"http://[2001:db8::7]/", "http", "2001:db8::7", 80, "/", "[2001:db8::7]"},
        GoodUrl{"http://[::ffff:1.2.3.4]:1", "http", "::ffff:1.2.3.4", 1, "/",
                "[::ffff:1.2.3.4]:1"},
        GoodUrl{"http://h?q=1", "http", "h", 80, "/?q=1", "h"},
        GoodUrl{"http://h#only-fragment", "http", "h", 80, "/", "h"},
        GoodUrl{"http://my_host-1.local:65535/%20x", "http", "my_host-1.local", 65535, "/%20x",
                "my_host-1.local:65535"}));

class UrlBad : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(UrlBad, RejectedWithMessage) {
  const auto& [text, fragment] = GetParam();
  std::string error;
  EXPECT_FALSE(parse_url(text, &error).has_value()) << text;
  EXPECT_NE(error.find(fragment), std::string::npos) << text << " -> " << error;
  EXPECT_FALSE(parse_url(text, nullptr).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UrlBad,
    ::testing::Values(
        std::pair{"example.com", "no scheme"},
        std::pair{"ftp://example.com/", "unsupported scheme"}, std::pair{"http://", "no host"},
        std::pair{"http:///x", "no host"}, std::pair{"http://:80/", "no host"},
        std::pair{"http://user:pw@h/", "credentials"}, std::pair{"http://h:0/", "invalid port"},
        std::pair{"http://h:65536/", "invalid port"},
        std::pair{"http://h:99999999999/", "invalid port"},
        std::pair{"http://h:8x/", "invalid port"}, std::pair{"http://h:+80/", "invalid port"},
        std::pair{"http://h:/", "invalid port"}, std::pair{"http://h a/", "whitespace"},
        std::pair{"http://h/a b", "whitespace"}, std::pair{"http://h/\x01", "control"},
        std::pair{"http://[::1/", "unterminated"}, std::pair{"http://[::g]/", "not an IPv6"},
        std::pair{"http://[]/", "not an IPv6"}, std::pair{"http://[::1]x/", "junk"},
        std::pair{"http://h%41/", "invalid character"}));

TEST(Url, ToStringRoundTrips) {
  const auto url = parse_url("https://[::1]:8443/p?q#f", nullptr);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->to_string(), "https://[::1]:8443/p?q");
  EXPECT_EQ(parse_url(url->to_string(), nullptr)->to_string(), url->to_string());
}

}  // namespace
}  // namespace anvil::http
