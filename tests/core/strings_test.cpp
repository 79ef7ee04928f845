#include "gensweep/core/strings.h"

#include <gtest/gtest.h>

namespace gensweep {
namespace {

TEST(Strings, ValidNames) {
  EXPECT_TRUE(is_valid_name("random-cnn"));
  EXPECT_TRUE(is_valid_name("fd_inf"));
  EXPECT_TRUE(is_valid_name("v1.2"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("Upper"));
  EXPECT_FALSE(is_valid_name("-lead"));
  EXPECT_FALSE(is_valid_name("has space"));
  EXPECT_FALSE(is_valid_name("a/b"));
}

TEST(Strings, SplitJoinLower) {
  auto parts = split("a,b,,c", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(join(parts, "+"), "a+b++c");
  EXPECT_EQ(to_lower("PnG"), "png");
  EXPECT_TRUE(ends_with_ci("x.JPEG", ".jpeg"));
  EXPECT_FALSE(ends_with_ci("g", ".png"));
}

}  // namespace
}  // namespace gensweep
