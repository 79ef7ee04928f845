// CMMD: closed forms (METRICS.md T13), properties (X vs X is 0, symmetry, invariance to row
// scaling under normalisation), the blocked path against a brute-force loop, and errors.
#include "gensweep/metrics/cmmd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "metric_test_util.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

using namespace ::gensweep::testing;

TEST(Cmmd, ClosedFormsT13) {
  const FeatureMatrix x = matrix(2, 2, {1, 0, 0, 1}), y = matrix(2, 2, {1, 0, -1, 0});
  EXPECT_LE(relative_error(cmmd(x.view(), y.view(), {}), 4.975083125415836), 1e-12);
  const FeatureMatrix x3 = matrix(2, 3, {1, 0, 0, 0, 1, 0}), y3 = matrix(2, 3, {0, 0, 1, 0, 0, 1});
  EXPECT_LE(relative_error(cmmd(x3.view(), y3.view(), {}), 14.925249376247951), 1e-12);
  EXPECT_NEAR(cmmd(x.view(), x.view(), {}), 0.0, 1e-15);
}

TEST(Cmmd, IdenticalSetsGiveZero) {
  const FeatureMatrix a = gaussian(1500, 24, 1, 0.0);  // two row blocks
  EXPECT_NEAR(cmmd(a.view(), a.view(), {}), 0.0, 1e-12);
}

TEST(Cmmd, SymmetricAndNonNegative) {
  const FeatureMatrix a = gaussian(300, 16, 2, 0.0), b = gaussian(200, 16, 3, 0.4);
  const double ab = cmmd(a.view(), b.view(), {}), ba = cmmd(b.view(), a.view(), {});
  EXPECT_GT(ab, 0.0);
  EXPECT_LE(relative_error(ab, ba), 1e-12);
}

TEST(Cmmd, NormalisationRemovesRowScale) {
  const FeatureMatrix a = gaussian(100, 8, 4, 0.0), b = gaussian(120, 8, 5, 0.3);
  FeatureMatrix scaled = b;
  for (std::int64_t i = 0; i < scaled.rows; ++i)
    for (std::int64_t j = 0; j < scaled.cols; ++j)
      scaled.row(i)[j] *= static_cast<float>(1 << (i % 4));  // powers of two: exact in float32
  EXPECT_LE(relative_error(cmmd(a.view(), scaled.view(), {}), cmmd(a.view(), b.view(), {})), 1e-12);
}

// Several Gram tiles (1024-row blocks) against a brute-force double loop, without normalisation,
// another sigma and scale.
TEST(Cmmd, BlockedSumsMatchBruteForce) {
  const FeatureMatrix a = gaussian(1500, 6, 6, 0.0), b = gaussian(1100, 6, 7, 0.5);
  const double sigma = 3.0;
  auto k = [&](const float* x, const float* y) {
    double d2 = 0;
    for (int j = 0; j < 6; ++j) {
      const double t = static_cast<double>(x[j]) - static_cast<double>(y[j]);
      d2 += t * t;
    }
    return std::exp(-d2 / (2 * sigma * sigma));
  };
  auto mean = [&](const FeatureMatrix& p, const FeatureMatrix& q) {
    double s = 0;
    for (std::int64_t i = 0; i < p.rows; ++i)
      for (std::int64_t j = 0; j < q.rows; ++j)
        s += k(p.row(i), q.row(j));
    return s / (static_cast<double>(p.rows) * static_cast<double>(q.rows));
  };
  const double expected = 7.0 * (mean(a, a) + mean(b, b) - 2 * mean(a, b));
  const double actual = cmmd(a.view(), b.view(), {.sigma = sigma, .normalize = false, .scale = 7});
  EXPECT_LE(relative_error(actual, expected), 1e-9) << actual << " vs " << expected;
}

TEST(CmmdErrors, BadParametersAndFeatures) {
  const FeatureMatrix a = gaussian(5, 3, 1, 0), c = gaussian(5, 4, 2, 0);
  EXPECT_THROW_WITH(cmmd(a.view(), a.view(), {.sigma = 0}), DataError,
                    "cmmd: sigma must be finite and > 0, got 0");
  EXPECT_THROW_WITH(cmmd(a.view(), a.view(), {.sigma = 10, .normalize = true, .scale = NAN}),
                    DataError, "cmmd: scale must be finite");
  EXPECT_THROW_WITH(cmmd(a.view(), c.view(), {}), NumericalError,
                    "cmmd: dimension mismatch: reference features have 3 columns, evaluated 4");
  const FeatureMatrix empty(0, 3);
  EXPECT_THROW_WITH(cmmd(a.view(), empty.view(), {}), NumericalError, "cmmd: needs non-empty sets");
  FeatureMatrix zero = a;
  std::fill(zero.row(2), zero.row(2) + 3, 0.0f);
  EXPECT_THROW_WITH(cmmd(a.view(), zero.view(), {}), NumericalError,
                    "cmmd: evaluated: row 2 has norm 0 and cannot be L2-normalised");
  FeatureMatrix bad = a;
  bad.row(1)[0] = NAN;
  EXPECT_THROW_WITH(cmmd(bad.view(), a.view(), {}), NumericalError,
                    "cmmd: reference: non-finite feature nan at row 1, column 0 of 5 x 3");
}

}  // namespace
}  // namespace gensweep::metrics
