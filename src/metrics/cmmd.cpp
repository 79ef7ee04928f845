#include "gensweep/metrics/cmmd.h"

#include <cmath>

#include "gensweep/core/error.h"
#include "kernel_blocks.h"

namespace gensweep::metrics {
namespace {

// k - 1 = expm1(-d^2 / (2 sigma^2)) with d^2 = |x|^2 + |y|^2 - 2 x.y (the reference's form, not
// clamped: round-off can make it slightly negative, as in the reference).
struct RbfMinusOne {
  double scale;  // 1 / (2 sigma^2)
  double operator()(double dot, double sq_x, double sq_y) const {
    return std::expm1(-(sq_x + sq_y - 2.0 * dot) * scale);
  }
};

}  // namespace

double cmmd(FeatureView reference, FeatureView evaluated, const CmmdOptions& options) {
  constexpr std::string_view what = "cmmd";
  GENSWEEP_CHECK(std::isfinite(options.sigma) && options.sigma > 0.0, DataError,
                 "cmmd: sigma must be finite and > 0, got {}", options.sigma);
  GENSWEEP_CHECK(std::isfinite(options.scale), DataError, "cmmd: scale must be finite, got {}",
                 options.scale);
  detail::check_finite_features(reference, what, "reference");
  detail::check_finite_features(evaluated, what, "evaluated");
  GENSWEEP_CHECK(reference.cols == evaluated.cols, NumericalError,
                 "cmmd: dimension mismatch: reference features have {} columns, evaluated {}",
                 reference.cols, evaluated.cols);
  GENSWEEP_CHECK(reference.rows >= 1 && evaluated.rows >= 1 && reference.cols >= 1, NumericalError,
                 "cmmd: needs non-empty sets, got {} x {} reference and {} x {} "
                 "evaluated features",
                 reference.rows, reference.cols, evaluated.rows, evaluated.cols);

  const detail::RowSource x = detail::all_rows(reference, options.normalize, "cmmd: reference");
  const detail::RowSource y = detail::all_rows(evaluated, options.normalize, "cmmd: evaluated");
  detail::KernelSums<RbfMinusOne> sums(RbfMinusOne{1.0 / (2.0 * options.sigma * options.sigma)});
  double diagonal_x = 0.0, diagonal_y = 0.0;
  const double xx = sums.within(x, diagonal_x) + diagonal_x;
  const double yy = sums.within(y, diagonal_y) + diagonal_y;
  const double xy = sums.cross(x, y);
  const double n = static_cast<double>(x.count), m = static_cast<double>(y.count);
  // The V-statistic; the constant 1 of each mean of k cancels (1 + 1 - 2).
  return options.scale * (xx / (n * n) + yy / (m * m) - 2.0 * xy / (n * m));
}

}  // namespace gensweep::metrics
