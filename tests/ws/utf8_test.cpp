#include "anvil/ws/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace anvil::ws {
namespace {

bool valid_whole(std::string_view s) {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

bool valid_bytewise(std::string_view s) {
  Utf8Validator v;
  for (char c : s)
    if (!v.feed(std::string_view(&c, 1))) return false;
  return v.complete();
}

// Reference decoder straight from RFC 3629's table: scalar values, shortest form, no
// surrogates. Used to check every 1-4 byte sequence over the interesting byte values.
bool reference_valid(const unsigned char* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const unsigned b = p[i];
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8, KnownStrings) {
  EXPECT_TRUE(valid_whole(""));
  EXPECT_TRUE(valid_whole("plain ASCII that is longer than eight bytes"));
  EXPECT_TRUE(valid_whole("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"));  // κόσμε
  EXPECT_TRUE(valid_whole("\xF4\x8F\xBF\xBF"));                              // U+10FFFF
  EXPECT_TRUE(valid_whole("\xEF\xBF\xBF"));                                  // U+FFFF
  EXPECT_TRUE(valid_whole("\xED\x9F\xBF\xEE\x80\x80"));  // around the surrogates
  EXPECT_FALSE(valid_whole("\xED\xBF\xBF"));             // U+DFFF
  EXPECT_FALSE(valid_whole("\xC1\xBF"));                 // overlong
  EXPECT_FALSE(valid_whole("\xE2\x82"));                 // incomplete
  EXPECT_FALSE(valid_whole("12345678\x80"));             // after the ASCII fast path
}

TEST(Utf8, IncompleteIsNotFailed) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed(std::string_view("\xF0\x9F", 2)));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.feed(std::string_view("\x98\x80", 2)));
  EXPECT_TRUE(v.complete());
  EXPECT_FALSE(v.feed(std::string_view("\xFE", 1)));
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed(std::string_view("ok", 2))) << "failure is sticky";
  v.reset();
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, AgreesWithReferenceOnAllShortSequences) {
  // Byte values covering every boundary of the lead and continuation ranges.
  const unsigned char values[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                  0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                  0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF};
  const size_t n = sizeof values;
  unsigned char buf[4];
  size_t checked = 0;
  for (size_t len = 1; len <= 4; ++len) {
    size_t total = 1;
    for (size_t k = 0; k < len; ++k)
      total *= n;
    for (size_t idx = 0; idx < total; ++idx) {
      size_t x = idx;
      for (size_t k = 0; k < len; ++k) {
        buf[k] = values[x % n];
        x /= n;
      }
      const std::string_view s(reinterpret_cast<const char*>(buf), len);
      const bool want = reference_valid(buf, len);
      ASSERT_EQ(valid_whole(s), want) << "len " << len << " idx " << idx;
      ASSERT_EQ(valid_bytewise(s), want) << "len " << len << " idx " << idx;
      ++checked;
    }
  }
  EXPECT_GT(checked, 450000u);
}

}  // namespace
}  // namespace anvil::ws
