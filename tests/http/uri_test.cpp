// Expected strings below were produced by Python 3.11's urllib.parse / posixpath (the
// reference ETL servers' behaviour); test_h11_request_oracle.py compares against Python live
// over random inputs.
#include "anvil/http/uri.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anvil::http {
namespace {

TEST(PercentDecode, DecodesStrictly) {
  std::string out;
  ASSERT_TRUE(percent_decode("ais%2F@%23%2Fmybck%2Fdir%2Fa.jpg", out));
  EXPECT_EQ(out, "ais/@#/mybck/dir/a.jpg");
  ASSERT_TRUE(percent_decode("a+b%20c%c3%A9", out));
  EXPECT_EQ(out, "a+b c\xc3\xa9");  // '+' is not a space in a path
  ASSERT_TRUE(percent_decode("%00", out));
  EXPECT_EQ(out, std::string(1, '\0'));
  ASSERT_TRUE(percent_decode("", out));
  EXPECT_EQ(out, "");
  for (const char* bad : {"%", "%2", "%zz", "a%2", "%2g", "%%20"}) {
    EXPECT_FALSE(percent_decode(bad, out)) << bad;
    EXPECT_FALSE(percent_decode_query(bad, out)) << bad;
  }
}

TEST(PercentDecode, QueryVariantTurnsPlusIntoSpace) {
  std::string out;
  ASSERT_TRUE(percent_decode_query("a+b%2B%20c", out));
  EXPECT_EQ(out, "a b+ c");
}

TEST(QueryParam, FirstValueDecodedLikeParseQsl) {
  // parse_qsl("a=1&a=2&b=%zz&c+d=e+f&&=x&g", keep_blank_values=True)
  //   -> [('a','1'), ('a','2'), ('b','%zz'), ('c d','e f'), ('','x'), ('g','')]
  const std::string_view q = "a=1&a=2&b=%zz&c+d=e+f&&=x&g";
  EXPECT_EQ(query_param(q, "a"), "1");
  EXPECT_EQ(query_param(q, "b"), "%zz");  // malformed escape kept, as Python does
  EXPECT_EQ(query_param(q, "c d"), "e f");
  EXPECT_EQ(query_param(q, ""), "x");
  EXPECT_EQ(query_param(q, "g"), "");
  EXPECT_EQ(query_param(q, "missing"), std::nullopt);
  EXPECT_EQ(query_param("", "a"), std::nullopt);
  EXPECT_EQ(query_param("etl%5Fargs=%7B%22a%22%3A1%7D", "etl_args"), "{\"a\":1}");
  EXPECT_EQ(query_param("x=a=b", "x"), "a=b");
}

TEST(QueryParam, EtlFqnIsDoubleEncoded) {
  // The target sends url.PathEscape(fqn) through url.Values: decode the query, then once more.
  // Go: url.Values{"etl_fqn": {url.PathEscape("/mnt/@ais/%ob/a b")}}.Encode()
  const auto once = query_param("etl_fqn=%252Fmnt%252F%40ais%252F%2525ob%252Fa%2520b", "etl_fqn");
  ASSERT_TRUE(once.has_value());
  EXPECT_EQ(*once, "%2Fmnt%2F@ais%2F%25ob%2Fa%20b");
  std::string fqn;
  ASSERT_TRUE(percent_decode(*once, fqn));
  EXPECT_EQ(fqn, "/mnt/@ais/%ob/a b");
  EXPECT_EQ(normalize_fqn(fqn), "/mnt/@ais/%ob/a b");
}

TEST(PercentEncode, MatchesPythonQuote) {
  // quote("ais/@ns/mybucket/path with ñ/obj", safe="@"): the contract's example (§2.1).
  EXPECT_EQ(percent_encode("ais/@ns/mybucket/path with \xc3\xb1/obj", "@"),
            "ais%2F@ns%2Fmybucket%2Fpath%20with%20%C3%B1%2Fobj");
  EXPECT_EQ(percent_encode("a/b c~_.-!*'()", ""), "a%2Fb%20c~_.-%21%2A%27%28%29");
  EXPECT_EQ(percent_encode("a/b", "/"), "a/b");
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2), "\xff"), "%00%FF");  // non-ASCII safe ignored
  EXPECT_EQ(percent_encode("", "@"), "");
}

TEST(PercentEncode, QueryVariantMatchesQuotePlus) {
  EXPECT_EQ(percent_encode_query("{\"resize\":\"256x256\"}"), "%7B%22resize%22%3A%22256x256%22%7D");
  EXPECT_EQ(percent_encode_query("a b+c/d"), "a+b%2Bc%2Fd");
}

TEST(QuerySetParam, ReplacesEveryOccurrenceAndKeepsTheRestVerbatim) {
  EXPECT_EQ(query_set_param("", "etl_args", "jpeg"), "etl_args=jpeg");
  EXPECT_EQ(query_set_param("uuid=xyz&owt=1", "etl_args", "jpeg"), "uuid=xyz&owt=1&etl_args=jpeg");
  EXPECT_EQ(query_set_param("etl_args=old&uuid=x%2Fy&etl%5Fargs=older&&", "etl_args",
                            "{\"from_time\":2.43,\"to_time\":3.43}"),
            "uuid=x%2Fy&etl_args=%7B%22from_time%22%3A2.43%2C%22to_time%22%3A3.43%7D");
  EXPECT_EQ(query_set_param("etl_args", "etl_args", "a b"), "etl_args=a+b");
}

TEST(NormalizeFqn, MatchesPythonNormpathOfJoinedPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "/"},
      {"/", "/"},
      {"//a//b/./c/..", "/a/b"},
      {"../../etc/passwd", "/etc/passwd"},
      {"/mnt/@ais/%ob/x/../y/.", "/mnt/@ais/%ob/y"},
      {"a/b/", "/a/b"},
      {"..", "/"},
      {"./", "/"},
      {"...", "/..."},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(normalize_fqn(in), want) << in;
  EXPECT_EQ(normalize_fqn(std::string("/a\0b", 4)), std::nullopt);
}

}  // namespace
}  // namespace anvil::http
