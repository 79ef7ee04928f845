#include "gensweep/metrics/fd_infinity.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/frechet.h"
#include "stats_internal.h"

namespace gensweep::metrics {

std::pair<double, double> fit_inverse_n(const std::vector<std::int64_t>& n,
                                        const std::vector<double>& y) {
  GENSWEEP_CHECK(n.size() == y.size(), DataError, "fit_inverse_n: {} sample sizes but {} values",
                 n.size(), y.size());
  for (std::size_t k = 0; k < n.size(); ++k) {
    GENSWEEP_CHECK(n[k] > 0, DataError, "fit_inverse_n: sample size {} at {} is not positive", n[k],
                   k);
    GENSWEEP_CHECK(std::isfinite(y[k]), NumericalError,
                   "fit_inverse_n: value {} at size {} is not finite", y[k], n[k]);
  }
  GENSWEEP_CHECK(std::set<std::int64_t>(n.begin(), n.end()).size() >= 2, DataError,
                 "fit_inverse_n: a line needs at least 2 distinct sample sizes, got {}",
                 std::set<std::int64_t>(n.begin(), n.end()).size());
  // Ordinary least squares of y on x = 1 / n with an intercept, on centred sums (what
  // sklearn's LinearRegression solves, without its lstsq round-off).
  const double count = static_cast<double>(n.size());
  double mean_x = 0.0, mean_y = 0.0;
  for (std::size_t k = 0; k < n.size(); ++k) {
    mean_x += 1.0 / static_cast<double>(n[k]);
    mean_y += y[k];
  }
  mean_x /= count;
  mean_y /= count;
  double sxx = 0.0, sxy = 0.0;
  for (std::size_t k = 0; k < n.size(); ++k) {
    const double dx = 1.0 / static_cast<double>(n[k]) - mean_x;
    sxx += dx * dx;
    sxy += dx * (y[k] - mean_y);
  }
  const double slope = sxy / sxx;
  return {mean_y - slope * mean_x, slope};
}

FdInfinityResult fd_infinity(const GaussianStats& reference, FeatureView evaluated,
                             const FdInfinityOptions& options) {
  GENSWEEP_CHECK(options.points >= 2, DataError, "fd_infinity: points must be >= 2, got {}",
                 options.points);
  GENSWEEP_CHECK(options.min_n >= 2, DataError, "fd_infinity: min_n must be >= 2, got {}",
                 options.min_n);
  const std::int64_t n = evaluated.rows, d = evaluated.cols;
  GENSWEEP_CHECK(n >= 3, DataError,
                 "fd_infinity: needs at least 3 evaluated features (2 sample sizes of at least "
                 "2), got {}",
                 n);
  GENSWEEP_CHECK(reference.dim() == d, NumericalError,
                 "fd_infinity: dimension mismatch: reference statistics have {} dimensions, "
                 "evaluated features {}",
                 reference.dim(), d);

  // Grid: trunc(linspace(n0, N, points)), numpy's linspace (start + k * step, the last point
  // exactly N), n0 = min(min_n, max(N / 10, 2)).
  const std::int64_t n0 = std::min(options.min_n, std::max<std::int64_t>(n / 10, 2));
  FdInfinityResult result;
  const double step = static_cast<double>(n - n0) / static_cast<double>(options.points - 1);
  for (int k = 0; k < options.points; ++k) {
    const double v =
        k == options.points - 1 ? static_cast<double>(n) : static_cast<double>(n0) + k * step;
    result.sizes.push_back(static_cast<std::int64_t>(v));
  }
  GENSWEEP_CHECK(std::set<std::int64_t>(result.sizes.begin(), result.sizes.end()).size() >= 2,
                 DataError, "fd_infinity: the grid from {} to {} has fewer than 2 distinct sizes",
                 n0, n);

  // One seeded permutation; prefix statistics merged chunk by chunk.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  Rng rng(options.seed);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(order[i], order[j]);
  }
  FrechetOptions fd_options;
  fd_options.diagnostics = false;
  GaussianStats prefix;
  std::int64_t done = 0;
  double last_fd = 0.0;
  for (const std::int64_t size : result.sizes) {
    if (size > done || done == 0) {
      FeatureMatrix chunk(size - done, d);
      for (std::int64_t k = done; k < size; ++k)
        std::copy(evaluated.row(order[k]), evaluated.row(order[k]) + d, chunk.row(k - done));
      prefix = merge_stats(prefix, detail::compute_stats(chunk.view(), nullptr, "fd_infinity"));
      done = size;
      last_fd = frechet_distance(reference, prefix, fd_options).value;
    }
    result.fds.push_back(last_fd);
  }
  std::tie(result.value, result.slope) = fit_inverse_n(result.sizes, result.fds);
  return result;
}

}  // namespace gensweep::metrics
