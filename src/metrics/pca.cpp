// PCA for GIQA (sklearn PCA(fraction), centred, not whitened), through the eigenvectors of the
// covariance. See gmm.h for the conventions and where they differ from sklearn's.

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "gensweep/core/error.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/metrics/gmm.h"
#include "gensweep/metrics/linalg.h"
#include "gmm_internal.h"
#include "stats_internal.h"

namespace gensweep::metrics {
namespace {

constexpr std::string_view kWhat = "pca";

}  // namespace

Pca fit_pca(FeatureView x, double variance_fraction) {
  GENSWEEP_CHECK(variance_fraction > 0 && variance_fraction <= 1, DataError,
                 "{}: the variance fraction must be in (0, 1], got {}", kWhat, variance_fraction);
  GENSWEEP_CHECK(x.rows >= 2 && x.cols >= 1, DataError,
                 "{}: needs at least 2 rows of dimension >= 1, got {} x {}", kWhat, x.rows, x.cols);
  ScopedBlasThreads blas(1);
  const GaussianStats stats = detail::compute_stats(x, nullptr, kWhat);
  const std::int64_t d = x.cols;
  // Covariance with denominator N - 1 (sklearn's explained_variance_); the ratios do not depend
  // on the denominator.
  Eigen::MatrixXd cov = stats.scatter / static_cast<double>(x.rows - 1);
  const Eigen::VectorXd values = linalg::symmetric_eigen(cov, true, kWhat);  // ascending
  // sklearn's SVD has min(N, D) components; the covariance has D eigenvalues, the smallest
  // D - min(N, D) of them zero up to round-off.
  const std::int64_t available = std::min<std::int64_t>(x.rows, d);
  std::vector<double> variance(static_cast<std::size_t>(available));
  double total = 0.0;
  for (std::int64_t c = 0; c < available; ++c) {
    variance[c] = std::max(values[d - 1 - c], 0.0);  // round-off can make a null one negative
    total += variance[c];
  }
  GENSWEEP_CHECK(total > 0, NumericalError,
                 "{}: the {} rows are all identical: there is no variance to keep", kWhat, x.rows);
  // sklearn: n = searchsorted(cumsum(ratio), fraction, side='right') + 1, the smallest count whose
  // cumulative ratio is strictly greater than the fraction; capped at the available components
  // (fraction 1 keeps all of them; sklearn would read a float 1.0 as one component).
  std::int64_t keep = available;
  double cumulative = 0.0;
  for (std::int64_t c = 0; c < available; ++c) {
    cumulative += variance[c] / total;
    if (cumulative > variance_fraction) {
      keep = c + 1;
      break;
    }
  }
  Pca p;
  p.dim_in = d;
  p.dim_out = keep;
  p.mean.assign(stats.mean.data(), stats.mean.data() + d);
  p.components.resize(static_cast<std::size_t>(keep * d));
  p.explained_variance_ratio.resize(static_cast<std::size_t>(keep));
  for (std::int64_t c = 0; c < keep; ++c) {
    const auto col = cov.col(d - 1 - c);
    // Sign: the entry of largest magnitude positive (the first of equal magnitudes).
    Eigen::Index arg = 0;
    col.cwiseAbs().maxCoeff(&arg);
    const double sign = col[arg] < 0 ? -1.0 : 1.0;
    for (std::int64_t j = 0; j < d; ++j)
      p.components[c * d + j] = sign * col[j];
    p.explained_variance_ratio[c] = variance[c] / total;
  }
  return p;
}

std::vector<double> pca_transform_f64(const Pca& p, FeatureView x) {
  GENSWEEP_CHECK(x.cols == p.dim_in, DataError,
                 "{}: the rows to project have {} columns, the PCA was fitted on {}", kWhat, x.cols,
                 p.dim_in);
  const std::int64_t d = p.dim_in, out_dim = p.dim_out;
  std::vector<double> out(static_cast<std::size_t>(x.rows * out_dim));
  const gmm_detail::Rows rows = gmm_detail::rows_of(x);
  gmm_detail::check_finite(rows, kWhat, "the rows to project");
  ScopedBlasThreads blas(1);
  std::vector<double> block(static_cast<std::size_t>(gmm_detail::kBlockRows * d));
  for (std::int64_t b = 0; b < gmm_detail::block_count(x.rows); ++b) {
    const std::int64_t begin = b * gmm_detail::kBlockRows;
    const std::int64_t count = std::min(gmm_detail::kBlockRows, x.rows - begin);
    rows.load(begin, count, block.data());
    for (std::int64_t i = 0; i < count; ++i) {
      for (std::int64_t j = 0; j < d; ++j)
        block[i * d + j] -= p.mean[j];
    }
    // out[block] = centred [count x D] * components^T [D x dim_out], row-major.
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(count),
                static_cast<blasint>(out_dim), static_cast<blasint>(d), 1.0, block.data(),
                static_cast<blasint>(d), p.components.data(), static_cast<blasint>(d), 0.0,
                out.data() + begin * out_dim, static_cast<blasint>(out_dim));
  }
  return out;
}

FeatureMatrix pca_transform(const Pca& p, FeatureView x) {
  const std::vector<double> projected = pca_transform_f64(p, x);
  FeatureMatrix out(x.rows, p.dim_out);
  for (std::size_t t = 0; t < projected.size(); ++t)
    out.values[t] = static_cast<float>(projected[t]);
  return out;
}

}  // namespace gensweep::metrics
