// Bootstrap intervals: numpy's linear quantiles on closed-form samples, FD resampling against
// explicit recomputation on resampled sets (both FD routes), determinism and errors.
#include "gensweep/metrics/bootstrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/frechet.h"
#include "golden_data.h"
#include "metric_test_util.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

using namespace ::gensweep::testing;

TEST(Percentile, NumpyLinearQuantiles) {
  // 1..101 shuffled: the p-quantile is 1 + 100 p exactly.
  std::vector<double> v;
  for (int i = 101; i >= 1; --i)
    v.push_back(i);
  std::rotate(v.begin(), v.begin() + 37, v.end());
  // Level 0.5: p = 0.25 and 0.75, exact in binary (as the quantile positions 25 and 75).
  const auto [low, high] = percentile_interval(v, 0.5);
  EXPECT_EQ(low, 26.0);
  EXPECT_EQ(high, 76.0);
  // Between order statistics: {0, 10} at 0.25 and 0.75.
  const auto [a, b] = percentile_interval({10, 0}, 0.5);
  EXPECT_EQ(a, 2.5);
  EXPECT_EQ(b, 7.5);
}

// The resampling contract of bootstrap.h: resample b draws N1 reference indices then N2 evaluated
// indices from Rng(seed, b), with replacement. FD of each explicitly resampled pair, then the
// percentile interval.
ConfidenceInterval explicit_bootstrap(FeatureView ref, FeatureView ev, int resamples, double level,
                                      std::uint64_t seed) {
  std::vector<double> fds;
  for (int b = 0; b < resamples; ++b) {
    Rng rng(seed, static_cast<std::uint64_t>(b));
    FeatureMatrix x(ref.rows, ref.cols), y(ev.rows, ev.cols);
    for (std::int64_t k = 0; k < ref.rows; ++k) {
      const auto i = static_cast<std::int64_t>(rng.below(ref.rows));
      std::copy(ref.row(i), ref.row(i) + ref.cols, x.row(k));
    }
    for (std::int64_t k = 0; k < ev.rows; ++k) {
      const auto i = static_cast<std::int64_t>(rng.below(ev.rows));
      std::copy(ev.row(i), ev.row(i) + ev.cols, y.row(k));
    }
    fds.push_back(frechet_distance(x.view(), y.view()).value);
  }
  ConfidenceInterval ci;
  ci.resampled_mean = 0;
  for (double v : fds)
    ci.resampled_mean += v / resamples;
  std::tie(ci.low, ci.high) = percentile_interval(fds, level);
  return ci;
}

TEST(BootstrapFd, SymmetricRouteEqualsExplicitResampling) {
  const testing::GoldenCase c = testing::load_golden_case("gauss_d64");  // N = 2000 > D = 64
  const ConfidenceInterval ci = bootstrap_fd(c.real.view(), c.fake.view(), 12, 0.8, 5);
  const ConfidenceInterval ex = explicit_bootstrap(c.real.view(), c.fake.view(), 12, 0.8, 5);
  EXPECT_LE(relative_error(ci.low, ex.low), 1e-9) << ci.low << " vs " << ex.low;
  EXPECT_LE(relative_error(ci.high, ex.high), 1e-9) << ci.high << " vs " << ex.high;
  EXPECT_EQ(ci.estimate, frechet_distance(c.real.view(), c.fake.view()).value);
  EXPECT_LE(relative_error(ci.basic_low, 2 * ci.estimate - ci.high), 1e-15);
  EXPECT_LE(relative_error(ci.basic_high, 2 * ci.estimate - ci.low), 1e-15);
  EXPECT_LE(relative_error(ci.resampled_mean, ex.resampled_mean), 1e-9);
  EXPECT_EQ(ci.level, 0.8);
  EXPECT_EQ(ci.resamples, 12);
  EXPECT_EQ(ci.seed, 5u);
}

TEST(BootstrapFd, NuclearNormRouteEqualsExplicitResampling) {
  const FeatureMatrix ref = gaussian(20, 32, 1, 0.0), ev = gaussian(25, 32, 2, 0.3);  // N < D
  const ConfidenceInterval ci = bootstrap_fd(ref.view(), ev.view(), 30, 0.9, 7);
  const ConfidenceInterval ex = explicit_bootstrap(ref.view(), ev.view(), 30, 0.9, 7);
  EXPECT_LE(relative_error(ci.low, ex.low), 1e-12);
  EXPECT_LE(relative_error(ci.high, ex.high), 1e-12);
}

TEST(BootstrapFd, SeededAndOrdered) {
  const FeatureMatrix ref = gaussian(200, 4, 3, 0.0), ev = gaussian(150, 4, 4, 0.5);
  const ConfidenceInterval a = bootstrap_fd(ref.view(), ev.view(), 50, 0.95, 1);
  const ConfidenceInterval b = bootstrap_fd(ref.view(), ev.view(), 50, 0.95, 1);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_LT(a.low, a.high);
  const ConfidenceInterval c = bootstrap_fd(ref.view(), ev.view(), 50, 0.95, 2);
  EXPECT_NE(a.low, c.low);
  // A wider level gives a wider interval from the same resamples.
  const ConfidenceInterval narrow = bootstrap_fd(ref.view(), ev.view(), 50, 0.5, 1);
  EXPECT_LE(a.low, narrow.low);
  EXPECT_GE(a.high, narrow.high);
}

TEST(BootstrapErrors, BadParametersAndFeatures) {
  const FeatureMatrix a = gaussian(10, 3, 1, 0), c = gaussian(10, 4, 2, 0);
  EXPECT_THROW_WITH(bootstrap_fd(a.view(), a.view(), 1, 0.95, 0), DataError,
                    "bootstrap_fd: resamples must be >= 2, got 1");
  EXPECT_THROW_WITH(bootstrap_fd(a.view(), a.view(), 10, 0.0, 0), DataError,
                    "bootstrap_fd: the confidence level must be in (0, 1), got 0");
  EXPECT_THROW_WITH(bootstrap_fd(a.view(), c.view(), 10, 0.9, 0), NumericalError,
                    "bootstrap_fd: dimension mismatch: reference features have 3 columns, "
                    "evaluated 4");
  FeatureMatrix bad = a;
  bad.row(4)[2] = NAN;
  EXPECT_THROW_WITH(bootstrap_fd(a.view(), bad.view(), 10, 0.9, 0), NumericalError,
                    "bootstrap_fd: evaluated: non-finite feature nan at row 4, column 2");
  EXPECT_THROW_WITH(percentile_interval({1.0}, 0.9), DataError,
                    "bootstrap: a percentile interval needs at least 2 resampled values, got 1");
  EXPECT_THROW_WITH(percentile_interval({1.0, 2.0}, 1.5), DataError,
                    "bootstrap: the confidence level must be in (0, 1), got 1.5");
}

}  // namespace
}  // namespace gensweep::metrics
