#include "anvil/lab/placeholders.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace anvil::lab {
namespace {

TEST(Placeholders, NamesAreFoundInOrder) {
  EXPECT_EQ(placeholder_names("{host}:{port}"), (std::vector<std::string>{"host", "port"}));
  EXPECT_EQ(placeholder_names("no braces"), std::vector<std::string>{});
  // Not placeholders: empty, unclosed, or with characters names do not have.
  EXPECT_EQ(placeholder_names("{} {a b} {x"), std::vector<std::string>{});
  EXPECT_EQ(placeholder_names("{{port}}"), std::vector<std::string>{"port"});
  EXPECT_TRUE(uses_placeholder("-w {workers}", "workers"));
  EXPECT_FALSE(uses_placeholder("-w {workers}", "work"));
}

TEST(Placeholders, SubstitutionIsOnePassAndLiteral) {
  const Placeholders values{{"port", "8080"}, {"host", "{port}"}};
  EXPECT_EQ(substitute_all("{host}:{port}", values), "{port}:8080");
  EXPECT_EQ(substitute_known("{port} {other}", values), "8080 {other}");
  EXPECT_EQ(substitute_all("plain", values), "plain");
  EXPECT_EQ(substitute_all("", values), "");
}

TEST(Placeholders, UnknownPlaceholderIsNamed) {
  try {
    (void)substitute_all("-w {workers}", {{"port", "1"}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown placeholder {workers}");
  }
}

}  // namespace
}  // namespace anvil::lab
