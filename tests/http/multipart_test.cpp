#include "anvil/http/multipart.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace anvil::http {
namespace {

TEST(Multipart, ValuesAndFile) {
  char path[] = "/tmp/anvil_multipart_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string("bin\0ary", 7);
  }
  const std::string base = std::string(path).substr(5);
  const auto result = build_multipart_body({{"a", "1", "", "", ""},
                                            {"q\"uote", "v", "", "", "text/plain"},
                                            {"f", "", path, "", ""},
                                            {"g", "", path, "up.bin", "image/png"}},
                                           "XyZ");
  std::remove(path);
  EXPECT_EQ(result.content_type, "multipart/form-data; boundary=XyZ");
  const std::string expected =
      "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"q%22uote\"\r\nContent-Type: "
      "text/plain\r\n\r\nv\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" +
      base + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + std::string("bin\0ary", 7) +
      "\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"up.bin\"\r\n"
      "Content-Type: image/png\r\n\r\n" +
      std::string("bin\0ary", 7) + "\r\n--XyZ--\r\n";
  EXPECT_EQ(result.body, expected);
}

TEST(Multipart, BoundaryWithSpecialsIsQuoted) {
  const auto result = build_multipart_body({{"a", "1", "", "", ""}}, "a b:c");
  EXPECT_EQ(result.content_type, "multipart/form-data; boundary=\"a b:c\"");
}

TEST(Multipart, UnreadableFileNamesTheFile) {
  try {
    build_multipart_body({{"f", "", "/nonexistent/anvil/file", "", ""}}, "b");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/anvil/file"), std::string::npos);
  }
}

TEST(Multipart, RejectsBadInput) {
  EXPECT_THROW(build_multipart_body({}, ""), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({}, std::string(71, 'a')), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({}, "ends "), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({}, "semi;colon"), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({{"a\r\nb", "1", "", "", ""}}, "b"), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({{"a", "1", "", "x\ny", ""}}, "b"), std::invalid_argument);
  EXPECT_THROW(build_multipart_body({{"a", "x--bnd y", "", "", ""}}, "bnd"), std::invalid_argument);
  EXPECT_NO_THROW(build_multipart_body({{"a", "x-bnd y", "", "", ""}}, "bnd"));
}

}  // namespace
}  // namespace anvil::http
