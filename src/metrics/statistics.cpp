#include "gensweep/metrics/statistics.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "stats_internal.h"

namespace gensweep::metrics {
namespace detail {
namespace {

void check_view(FeatureView rows, std::string_view what) {
  GENSWEEP_CHECK(rows.rows >= 0 && rows.cols >= 0, NumericalError,
                 "{}: invalid feature matrix shape {} x {}", what, rows.rows, rows.cols);
  GENSWEEP_CHECK(rows.data != nullptr || rows.size() == 0, NumericalError,
                 "{}: feature matrix {} x {} has no data", what, rows.rows, rows.cols);
}

// Only called once a sum came out non-finite, so the fast path stays a plain vectorisable loop.
[[noreturn]] void throw_non_finite(FeatureView rows, const std::uint8_t* valid,
                                   std::string_view what) {
  for (std::int64_t i = 0; i < rows.rows; ++i) {
    if (valid != nullptr && valid[i] == 0) continue;
    const float* x = rows.row(i);
    for (std::int64_t j = 0; j < rows.cols; ++j) {
      GENSWEEP_CHECK(std::isfinite(x[j]), NumericalError,
                     "{}: non-finite feature {} at row {}, column {} of {} x {}", what, x[j], i, j,
                     rows.rows, rows.cols);
    }
  }
  GENSWEEP_ASSERT(false, "{}: a sum of finite float32 features overflowed float64", what);
}

}  // namespace

std::int64_t block_rows_for(std::int64_t dim) {
  constexpr std::int64_t kBlockDoubles = std::int64_t{1} << 19;  // 4 MiB
  return std::clamp<std::int64_t>(kBlockDoubles / std::max<std::int64_t>(dim, 1), 64, 4096);
}

Eigen::VectorXd feature_mean(FeatureView rows, const std::uint8_t* valid, std::int64_t& count,
                             std::string_view what) {
  check_view(rows, what);
  const std::int64_t d = rows.cols;
  const std::int64_t block = block_rows_for(d);
  Eigen::VectorXd total = Eigen::VectorXd::Zero(d);
  Eigen::VectorXd partial(d);
  count = 0;
  // Two-level summation (per block, then across blocks): the rounding error grows with
  // block + N / block rather than with N, close to numpy's pairwise sum at no extra cost.
  for (std::int64_t start = 0; start < rows.rows; start += block) {
    const std::int64_t stop = std::min(rows.rows, start + block);
    partial.setZero();
    for (std::int64_t i = start; i < stop; ++i) {
      if (valid != nullptr && valid[i] == 0) continue;
      const float* x = rows.row(i);
      for (std::int64_t j = 0; j < d; ++j)
        partial[j] += static_cast<double>(x[j]);
      ++count;
    }
    total += partial;
  }
  // NaN or Inf anywhere makes its column sum non-finite: check once, locate only on failure.
  if (!total.allFinite()) throw_non_finite(rows, valid, what);
  if (count > 0) total /= static_cast<double>(count);
  return total;
}

GaussianStats compute_stats(FeatureView rows, const std::uint8_t* valid, std::string_view what) {
  GaussianStats stats;
  stats.mean = feature_mean(rows, valid, stats.count, what);
  const std::int64_t d = rows.cols;
  stats.scatter = Eigen::MatrixXd::Zero(d, d);
  if (stats.count == 0 || d == 0) return stats;

  // Second pass: centre a block of rows in float64, then scatter += block^T block with dsyrk
  // (half the flops of a general product). The block is row-major [b x D], which BLAS reads as
  // the column-major [D x b] matrix Y, so the update is Y Y^T into the upper triangle.
  const std::int64_t block = block_rows_for(d);
  std::vector<double> centred(static_cast<std::size_t>(block * d));
  std::int64_t filled = 0;
  auto flush = [&] {
    if (filled == 0) return;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<blasint>(d),
                static_cast<blasint>(filled), 1.0, centred.data(), static_cast<blasint>(d), 1.0,
                stats.scatter.data(), static_cast<blasint>(d));
    filled = 0;
  };
  for (std::int64_t i = 0; i < rows.rows; ++i) {
    if (valid != nullptr && valid[i] == 0) continue;
    const float* x = rows.row(i);
    double* y = centred.data() + filled * d;
    for (std::int64_t j = 0; j < d; ++j)
      y[j] = static_cast<double>(x[j]) - stats.mean[j];
    if (++filled == block) flush();
  }
  flush();
  // dsyrk wrote the upper triangle only; mirror it so both triangles hold the scatter.
  for (std::int64_t j = 0; j < d; ++j) {
    for (std::int64_t i = j + 1; i < d; ++i)
      stats.scatter(i, j) = stats.scatter(j, i);
  }
  return stats;
}

MeanStd mean_and_population_std(const std::vector<double>& values) {
  const double count = static_cast<double>(values.size());
  MeanStd out;
  double total = 0.0;
  for (double v : values)
    total += v;
  out.mean = total / count;
  double squares = 0.0;
  for (double v : values)
    squares += (v - out.mean) * (v - out.mean);
  out.std = std::sqrt(squares / count);  // ddof 0
  return out;
}

}  // namespace detail

GaussianStats compute_stats(FeatureView rows, const std::uint8_t* valid) {
  return detail::compute_stats(rows, valid, "compute_stats");
}

GaussianStats merge_stats(const GaussianStats& a, const GaussianStats& b) {
  for (const GaussianStats* s : {&a, &b}) {
    GENSWEEP_CHECK(!s->imported, NumericalError,
                   "merge_stats: imported statistics hold a covariance, not a scatter, and cannot "
                   "be merged");
    GENSWEEP_CHECK(s->scatter.rows() == s->dim() && s->scatter.cols() == s->dim() && s->count >= 0,
                   NumericalError,
                   "merge_stats: inconsistent statistics: count {}, mean has {} entries, scatter "
                   "is {} x {}",
                   s->count, s->dim(), s->scatter.rows(), s->scatter.cols());
  }
  // A default-constructed (dimension 0) side is neutral; otherwise the dimensions must agree even
  // when a side is empty, because that mismatch is a bug upstream (a shard with other features).
  GENSWEEP_CHECK(a.dim() == 0 || b.dim() == 0 || a.dim() == b.dim(), NumericalError,
                 "merge_stats: dimension mismatch: {} vs {}", a.dim(), b.dim());
  if (b.count == 0 && (a.count > 0 || a.dim() != 0)) return a;
  if (a.count == 0) return b;

  const double na = static_cast<double>(a.count);
  const double nb = static_cast<double>(b.count);
  const double n = na + nb;
  const Eigen::VectorXd delta = b.mean - a.mean;
  GaussianStats out;
  out.count = a.count + b.count;
  out.mean = a.mean + delta * (nb / n);
  out.scatter = a.scatter + b.scatter;
  out.scatter.noalias() += (na * (nb / n)) * (delta * delta.transpose());
  return out;
}

Eigen::MatrixXd covariance(const GaussianStats& s) {
  if (s.imported) return s.scatter;
  GENSWEEP_CHECK(s.count >= 2, NumericalError,
                 "covariance: needs at least 2 samples for the N-1 denominator, got {}", s.count);
  return s.scatter / static_cast<double>(s.count - 1);
}

}  // namespace gensweep::metrics
