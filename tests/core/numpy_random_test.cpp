// NumpyRandomState against numpy 1.24.2's legacy RandomState. The expected values were printed by
// tests/core/numpy_random_expected.py (`/usr/bin/python3 tests/core/numpy_random_expected.py`,
// Debian 12's python3-numpy); each block ends with one more random_sample() to check that the
// generator's state advanced exactly as numpy's did.

#include "gensweep/core/numpy_random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace gensweep {
namespace {

TEST(NumpyRandom, RandomSampleAfterSeed) {
  NumpyRandomState rs(0);
  const std::vector<double> expected = {0.5488135039273248, 0.7151893663724195, 0.6027633760716439,
                                        0.5448831829968969};
  for (double e : expected)
    EXPECT_EQ(rs.next_double(), e);
}

TEST(NumpyRandom, NormalKeepsTheCachedSecondValueAcrossCalls) {
  NumpyRandomState rs(3005);
  const std::vector<double> expected = {-0.06652583214071606, 0.19622373527414286,
                                        0.038422793315900095, -0.03987179994381468,
                                        -0.06500643034004436};
  for (double e : expected)
    EXPECT_EQ(rs.normal(0.0, 0.1), e);
  EXPECT_EQ(rs.normal(2.0, 3.0), -0.9817152647112901);
  EXPECT_EQ(rs.next_double(), 0.506910472590548);
}

TEST(NumpyRandom, ReseedingClearsTheCachedGaussian) {
  NumpyRandomState rs(3005);
  rs.gauss();  // leaves a cached value
  rs.seed(3005);
  EXPECT_EQ(rs.normal(0.0, 0.1), -0.06652583214071606);
}

TEST(NumpyRandom, UniformAndRandint) {
  NumpyRandomState rs(4294967295u);
  EXPECT_EQ(rs.uniform(-1, 1), -0.8047359420119724);
  EXPECT_EQ(rs.uniform(-1, 1), 0.8247656906052436);
  EXPECT_EQ(rs.uniform(-1, 1), 0.5780706037032799);
  EXPECT_EQ(rs.randint(0, 5), 2);
  EXPECT_EQ(rs.randint(0, 88), 32);
  EXPECT_EQ(rs.randint(7, 8), 7);  // one possible value: no draw
  EXPECT_EQ(rs.randint(0, (1LL << 31) + 5), 627568395);
  EXPECT_EQ(rs.next_double(), 0.6993279971880844);
}

TEST(NumpyRandom, PoissonBothMethods) {
  NumpyRandomState rs(42);
  const std::vector<double> lam = {0, 0.5, 3, 9.99, 10, 25.5, 200, 1e4, 0.001, 57.3};
  const std::vector<std::int64_t> expected = {0, 0, 4, 8, 7, 26, 191, 9876, 0, 56};
  for (std::size_t i = 0; i < lam.size(); ++i)
    EXPECT_EQ(rs.poisson(lam[i]), expected[i]) << "lam " << lam[i];
  EXPECT_EQ(rs.next_double(), 0.19967378215835974);
}

TEST(NumpyRandom, PoissonManyDrawsKeepTheStateInStep) {
  NumpyRandomState rs(11);
  std::vector<double> u(2000);
  for (double& v : u)
    v = rs.next_double();
  std::int64_t sum = 0;
  for (double v : u)
    sum += rs.poisson(v * 100);
  EXPECT_EQ(sum, 101417);
  EXPECT_EQ(rs.next_double(), 0.26378948423585435);
}

TEST(NumpyRandom, ChoiceWithProbability) {
  NumpyRandomState rs(7);
  const std::vector<int> expected = {1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1};
  for (int e : expected)
    EXPECT_EQ(rs.choice_true(0.3), e == 1);
  EXPECT_EQ(rs.next_double(), 0.6005489174641225);
}

TEST(NumpyRandom, LoggamSmallArguments) {
  EXPECT_EQ(numpy_loggam(1.0), 0.0);
  EXPECT_EQ(numpy_loggam(2.0), 0.0);
  EXPECT_NEAR(numpy_loggam(5.0), std::log(24.0), 1e-13);
  EXPECT_NEAR(numpy_loggam(101.0), std::lgamma(101.0), 1e-10);
}

}  // namespace
}  // namespace gensweep
