#include "anvil/core/units.hpp"

#include <gtest/gtest.h>

namespace anvil::core {
namespace {

TEST(ParseDuration, AcceptsEveryUnit) {
  struct Case {
    const char* text;
    int64_t ns;
  };
  const Case cases[] = {{"10s", 10'000'000'000},
                        {"500ms", 500'000'000},
                        {"250us", 250'000},
                        {"2m", 120'000'000'000},
                        {"1h", 3'600'000'000'000},
                        {"1.5s", 1'500'000'000},
                        {"3", 3'000'000'000},
                        {"0s", 0},
                        {"7ns", 7}};
  for (const auto& c : cases) {
    auto ns = parse_duration_ns(c.text);
    ASSERT_TRUE(ns.has_value()) << c.text;
    EXPECT_EQ(*ns, c.ns) << c.text;
  }
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* text : {"", "s", "-1s", "abc", "10 s", "1e400s", "10sec", "nan", "inf", "ms"}) {
    EXPECT_FALSE(parse_duration_ns(text).has_value()) << text;
  }
}

TEST(ParseNumber, WholeTextOnly) {
  EXPECT_EQ(parse_number("12.5"), 12.5);
  EXPECT_FALSE(parse_number("12.5x").has_value());
  EXPECT_FALSE(parse_number("-1").has_value());
  EXPECT_EQ(parse_unsigned("42"), 42u);
  EXPECT_FALSE(parse_unsigned("42 ").has_value());
  EXPECT_FALSE(parse_unsigned("99999999999999999999999").has_value());
}

TEST(Format, HumanUnits) {
  EXPECT_EQ(format_latency_us(37), "37us");
  EXPECT_EQ(format_latency_us(1240), "1.24ms");
  EXPECT_EQ(format_latency_us(2'500'000), "2.50s");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(12), "12");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
}

}  // namespace
}  // namespace anvil::core
