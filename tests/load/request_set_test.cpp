#include "anvil/load/request_set.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <map>

namespace anvil::load {
namespace {

http::Url url_of(const char* text) {
  std::string error;
  auto url = http::parse_url(text, &error);
  EXPECT_TRUE(url) << error;
  return *url;
}

TEST(RequestSet, WeightsHoldExactlyOverEveryCycle) {
  std::vector<RequestTemplate> mix(2);
  mix[0].method = "PUT";
  mix[0].body = "test";
  mix[0].weight = 3;
  mix[1].method = "GET";
  mix[1].weight = 1;
  RequestSet set(mix, url_of("http://127.0.0.1:8080/"), true);
  std::map<std::string, int> seen;
  for (uint32_t i = 0; i < 400; ++i)
    seen[set.at(i).bytes.substr(0, 3)]++;
  EXPECT_EQ(seen["PUT"], 300);
  EXPECT_EQ(seen["GET"], 100);
  // Interleaved, not in runs: a GET appears in every window of 4.
  for (uint32_t i = 0; i < 100; i += 4) {
    int gets = 0;
    for (uint32_t j = i; j < i + 4; ++j)
      gets += set.at(j).bytes.starts_with("GET");
    EXPECT_EQ(gets, 1);
  }
}

TEST(RequestSet, SerializesOnceWithHostAndLength) {
  std::vector<RequestTemplate> one(1);
  one[0].method = "PUT";
  one[0].body = "test";
  RequestSet set(one, url_of("http://127.0.0.1:8080/obj?x=1"), true);
  const std::string& bytes = set.at(0).bytes;
  EXPECT_TRUE(bytes.starts_with("PUT /obj?x=1 HTTP/1.1\r\n")) << bytes;
  EXPECT_NE(bytes.find("Host: 127.0.0.1:8080\r\n"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("Content-Length: 4\r\n"), std::string::npos) << bytes;
  EXPECT_TRUE(bytes.ends_with("\r\n\r\ntest"));
  EXPECT_EQ(&set.at(0), &set.at(1));  // the same bytes every time, never rebuilt
}

std::string write_temp(const std::string& content) {
  char path[] = "/tmp/anvil-mix-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << content;
  return path;
}

TEST(RequestFile, ReadsTheAistoreMix) {
  const std::string path = write_temp(R"(
[[request]]
method = "PUT"
path = "/"
body = "test"

[[request]]
method = "GET"
path = "/"
headers = { "X-Trace" = "1" }
weight = 1
)");
  auto mix = load_request_file(path);
  ASSERT_EQ(mix.size(), 2u);
  EXPECT_EQ(mix[0].method, "PUT");
  EXPECT_EQ(mix[0].body, "test");
  EXPECT_EQ(mix[1].headers.at(0).first, "X-Trace");
  std::remove(path.c_str());
}

TEST(RequestFile, NamesTheFileLineAndKeyOnBadInput) {
  const std::string path = write_temp("[[request]]\nmethod = \"GET\"\nbogus = 1\n");
  try {
    load_request_file(path);
    FAIL() << "accepted an unknown key";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ":3"), std::string::npos) << message;
    EXPECT_NE(message.find("'bogus'"), std::string::npos) << message;
  }
  std::remove(path.c_str());
  EXPECT_THROW(load_request_file("/nonexistent/mix.toml"), std::runtime_error);
  const std::string bad_weight = write_temp("[[request]]\nweight = 0\n");
  EXPECT_THROW(load_request_file(bad_weight), std::runtime_error);
  std::remove(bad_weight.c_str());
}

}  // namespace
}  // namespace anvil::load
