#include "unit_result.h"

#include <gtest/gtest.h>

namespace gensweep::pipeline {
namespace {

TEST(UnitResult, RoundTripsExactly) {
  UnitResult r;
  r.unit = 3;
  r.row_begin = 24;
  r.rows = 3;
  r.valid = {1, 0, 1};
  r.failures = {{25, "b.png: truncated PNG"}};
  r.backbones = {0, 2};
  r.features = {{1.5f, -0.0f, 3e-38f, 7.0f, 8.0f, 9.0f}, {1e30f, 2.0f, 3.0f}};
  auto back = decode_unit_result(encode_unit_result(r));
  EXPECT_EQ(back.unit, 3);
  EXPECT_EQ(back.row_begin, 24);
  EXPECT_EQ(back.rows, 3);
  EXPECT_EQ(back.valid, r.valid);
  ASSERT_EQ(back.failures.size(), 1u);
  EXPECT_EQ(back.failures[0].row, 25);
  EXPECT_EQ(back.failures[0].reason, "b.png: truncated PNG");
  EXPECT_EQ(back.backbones, r.backbones);
  EXPECT_EQ(back.features, r.features);
}

TEST(UnitResult, EmptyRoundOnARankWithNoWork) {
  UnitResult idle;
  auto back = decode_unit_result(encode_unit_result(idle));
  EXPECT_EQ(back.unit, -1);
  EXPECT_TRUE(back.features.empty());
}

}  // namespace
}  // namespace gensweep::pipeline
