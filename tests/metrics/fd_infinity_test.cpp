// FD-infinity: the linear fit in 1/N (METRICS.md T14), the §9.1 grid, the last point being the FD
// of the whole set, the small-N grid rule, determinism and errors.
#include "gensweep/metrics/fd_infinity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/frechet.h"
#include "gensweep/metrics/statistics.h"
#include "metric_test_util.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

using namespace ::gensweep::testing;

// METRICS.md §9.1: trunc(linspace(5000, 50000, 15)).
const std::vector<std::int64_t> kGrid50k = {5000,  8214,  11428, 14642, 17857, 21071, 24285, 27500,
                                            30714, 33928, 37142, 40357, 43571, 46785, 50000};

TEST(FdInfinity, LinearInInverseNRecoversInterceptAndSlopeT14) {
  std::vector<double> fd;
  for (std::int64_t n : kGrid50k)
    fd.push_back(5.0 + 20000.0 / static_cast<double>(n));
  const auto [a, b] = fit_inverse_n(kGrid50k, fd);
  EXPECT_LE(relative_error(a, 5.0), 1e-12) << a;
  EXPECT_LE(relative_error(b, 20000.0), 1e-12) << b;
}

TEST(FdInfinity, TwoPointsDefineTheLine) {
  const auto [a, b] = fit_inverse_n({10, 40}, {1.0 + 3.0 / 10, 1.0 + 3.0 / 40});
  EXPECT_LE(relative_error(a, 1.0), 1e-12);
  EXPECT_LE(relative_error(b, 3.0), 1e-12);
}

TEST(FdInfinity, ReferenceGridAtFiftyThousand) {
  const FeatureMatrix ref = gaussian(2000, 2, 1, 0.0), ev = gaussian(50000, 2, 2, 0.1);
  const FdInfinityResult r = fd_infinity(compute_stats(ref.view()), ev.view(), {});
  EXPECT_EQ(r.sizes, kGrid50k);
  ASSERT_EQ(r.fds.size(), 15u);
  // The last point uses every row: the permutation does not change the statistics.
  const double whole = frechet_distance(compute_stats(ref.view()), compute_stats(ev.view())).value;
  EXPECT_LE(relative_error(r.fds.back(), whole), 1e-9);
  // The reported value and slope are the fit of the reported points.
  const auto [a, b] = fit_inverse_n(r.sizes, r.fds);
  EXPECT_EQ(r.value, a);
  EXPECT_EQ(r.slope, b);
}

TEST(FdInfinity, SmallSetsShrinkTheFirstSize) {
  const FeatureMatrix ref = gaussian(500, 3, 3, 0.0), ev = gaussian(400, 3, 4, 0.2);
  const FdInfinityResult r = fd_infinity(compute_stats(ref.view()), ev.view(), {});
  // n0 = min(5000, max(400 / 10, 2)) = 40; trunc(linspace(40, 400, 15)), step 360 / 14.
  ASSERT_EQ(r.sizes.size(), 15u);
  EXPECT_EQ(r.sizes.front(), 40);
  EXPECT_EQ(r.sizes[1], 65);  // 40 + 25.714...
  EXPECT_EQ(r.sizes[7], 220);
  EXPECT_EQ(r.sizes.back(), 400);
  // min_n below N / 10 wins.
  const FdInfinityResult s =
      fd_infinity(compute_stats(ref.view()), ev.view(), {.points = 3, .min_n = 10});
  EXPECT_EQ(s.sizes, (std::vector<std::int64_t>{10, 205, 400}));
}

TEST(FdInfinity, SeededAndReproducible) {
  const FeatureMatrix ref = gaussian(300, 4, 5, 0.0), ev = gaussian(300, 4, 6, 0.3);
  const GaussianStats stats = compute_stats(ref.view());
  const FdInfinityResult a = fd_infinity(stats, ev.view(), {.seed = 1});
  const FdInfinityResult b = fd_infinity(stats, ev.view(), {.seed = 1});
  EXPECT_EQ(a.fds, b.fds);
  EXPECT_EQ(a.value, b.value);
  EXPECT_NE(a.fds, fd_infinity(stats, ev.view(), {.seed = 2}).fds);
}

TEST(FdInfinityErrors, BadParameters) {
  const FeatureMatrix ref = gaussian(50, 3, 1, 0.0), ev = gaussian(50, 3, 2, 0.0);
  const GaussianStats stats = compute_stats(ref.view());
  EXPECT_THROW_WITH(fd_infinity(stats, ev.view(), {.points = 1}), DataError,
                    "fd_infinity: points must be >= 2, got 1");
  EXPECT_THROW_WITH(fd_infinity(stats, ev.view(), {.points = 15, .min_n = 1}), DataError,
                    "fd_infinity: min_n must be >= 2, got 1");
  const FeatureMatrix two = gaussian(2, 3, 3, 0.0);
  EXPECT_THROW_WITH(fd_infinity(stats, two.view(), {}), DataError,
                    "fd_infinity: needs at least 3 evaluated features");
  const FeatureMatrix other = gaussian(50, 4, 4, 0.0);
  EXPECT_THROW_WITH(fd_infinity(stats, other.view(), {}), NumericalError,
                    "fd_infinity: dimension mismatch: reference statistics have 3 dimensions, "
                    "evaluated features 4");
  FeatureMatrix bad = ev;
  bad.row(5)[1] = NAN;
  EXPECT_THROW(fd_infinity(stats, bad.view(), {}), NumericalError);
  EXPECT_THROW_WITH(fit_inverse_n({10, 10}, {1, 2}), DataError,
                    "fit_inverse_n: a line needs at least 2 distinct sample sizes, got 1");
  EXPECT_THROW_WITH(fit_inverse_n({10, 20}, {1}), DataError,
                    "fit_inverse_n: 2 sample sizes but 1 values");
  EXPECT_THROW_WITH(fit_inverse_n({0, 20}, {1, 2}), DataError,
                    "fit_inverse_n: sample size 0 at 0 is not positive");
}

}  // namespace
}  // namespace gensweep::metrics
