#include "gensweep/core/random.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gensweep {
namespace {

// SplitMix64 reference outputs for seed 1234567 (from the algorithm's published C code).
TEST(Random, SplitMix64KnownValues) {
  std::uint64_t state = 1234567;
  EXPECT_EQ(splitmix64(state), 6457827717110365317ULL);
  EXPECT_EQ(splitmix64(state), 3203168211198807973ULL);
}

TEST(Random, SameSeedSameSequenceDifferentStreamsDiffer) {
  Rng a(42), b(42), c(42, 1), d(42, 2);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.next_u64(), b.next_u64());
  int equal = 0;
  for (int i = 0; i < 100; ++i)
    equal += c.next_u64() == d.next_u64();
  EXPECT_EQ(equal, 0);
}

TEST(Random, MomentsOfUniformAndNormal) {
  Rng rng(7);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    double z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  // 5-sigma bounds for the sample means.
  EXPECT_NEAR(su / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(sn / n, 0.0, 5 * std::sqrt(1.0 / n));
  EXPECT_NEAR(sn2 / n, 1.0, 5 * std::sqrt(2.0 / n));
}

TEST(Random, BelowIsInRangeAndCoversIt) {
  Rng rng(3);
  int hits[7] = {};
  for (int i = 0; i < 7000; ++i) {
    auto x = rng.below(7);
    ASSERT_LT(x, 7u);
    ++hits[x];
  }
  for (int h : hits)
    EXPECT_GT(h, 800);
}

}  // namespace
}  // namespace gensweep
