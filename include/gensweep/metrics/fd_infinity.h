#pragma once
// FD-infinity (Chong & Forsyth, CVPR 2020, "Effectively Unbiased FID and Inception Score and where
// to find them"): FD is biased upward at finite N, roughly FD_N = FD_inf + c / N; compute FD at
// `points` sample sizes and extrapolate the least-squares line in 1/N to 1/N = 0 (METRICS.md §9).
//
// Procedure (mchong6/FID_IS_infinity, with dgm-eval's small-N rule):
// - grid: N_j = trunc(linspace(n0, N, points)) with n0 = min(min_n, max(N / 10, 2)) (integer
//   division): the reference's 5000 for N >= 50000, dgm-eval's rule below that. A size that the
//   truncation repeats (tiny N) is computed once and enters the fit once per grid point.
// - samples: the first N_j rows of one seeded permutation of `evaluated` (Fisher-Yates with
//   Rng(seed), Rng::below), so the subsets are nested. The references draw a fresh subset for
//   every N_j (mchong6 reshuffles in place before each, dgm-eval draws with choice; both from
//   unseeded numpy generators). Each point is still a uniformly drawn subset of size N_j, so every
//   FD_N_j, and the fitted line, has the same expectation; nesting only correlates the points
//   (a smoother curve) and lets the statistics of each prefix be merged incrementally (Chan):
//   one pass over the rows plus `points` FDs in total.
// - FD against the fixed reference statistics by the symmetric route of frechet.h (float64,
//   N - 1 covariances, no eps), diagnostics off. Where N_j - 1 < D the prefix covariance is
//   singular and that route loses 1e-7 to 3.5e-5 relative (frechet.h): the references lose the
//   same; the extrapolation is rough there anyway (METRICS.md §9.3).
// - The reference set's own finite-N bias is not extrapolated: FD_inf is exact only as far as the
//   reference statistics come from many samples (measured: 20000 reference rows at D = 2048 left
//   an intercept of 18.9 for a population FD of 0.2).
// - FD_inf = the intercept of the OLS fit FD_N = a + b / N (sklearn LinearRegression).
// Errors: DataError for points < 2, min_n < 2, N < 3 or a grid with fewer than 2 distinct
// sizes; NumericalError for a dimension mismatch or a non-finite feature.

#include <cstdint>
#include <utility>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "gensweep/metrics/statistics.h"

namespace gensweep::metrics {

struct FdInfinityOptions {
  int points = 15;
  std::int64_t min_n = 5000;
  std::uint64_t seed = 0;
};

struct FdInfinityResult {
  double value = 0, slope = 0;  // intercept a (FD at 1/N = 0) and slope b of FD_N = a + b / N
  std::vector<std::int64_t> sizes;
  std::vector<double> fds;
};

// FD of growing prefixes of a seeded permutation of `evaluated` against fixed reference
// statistics; min_n is reduced to max(N / 10, 2) when that is smaller (dgm-eval §9.2).
FdInfinityResult fd_infinity(const GaussianStats& reference, FeatureView evaluated,
                             const FdInfinityOptions& options);

// The least-squares line y = a + b / n (intercept a = FD-inf), exposed for T14. Returns (a, b).
// Throws DataError for mismatched sizes, n <= 0 or fewer than 2 distinct n.
std::pair<double, double> fit_inverse_n(const std::vector<std::int64_t>& n,
                                        const std::vector<double>& y);

}  // namespace gensweep::metrics
