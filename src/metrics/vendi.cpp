#include "gensweep/metrics/vendi.h"

#include <cblas.h>

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/metrics/linalg.h"
#include "kernel_blocks.h"

namespace gensweep::metrics {
namespace {

void check_q(double q, std::string_view what) {
  GENSWEEP_CHECK(!std::isnan(q) && q >= 0.0, DataError,
                 "{}: the order q must be >= 0 (or +inf), got {}", what, q);
}

// The score from the eigenvalues of K / n (METRICS.md §11, vertaix's entropy_q). The reference
// keeps every eigenvalue > 0; here eigenvalues at or below size * DBL_EPSILON * max (numpy's
// matrix_rank tolerance, `size` the matrix order) are round-off of exact zeros and dropped too:
// for q < 1 the reference's choice lets them count (sqrt(1e-17) = 3e-9 each), so the primal and
// dual forms of one X would disagree. q = inf takes the largest eigenvalue.
double score_from_eigenvalues(const Eigen::VectorXd& values, double q) {
  const double top = values.maxCoeff();
  if (std::isinf(q)) return 1.0 / top;
  const double tolerance =
      static_cast<double>(values.size()) * std::numeric_limits<double>::epsilon() * top;
  if (q == 1.0) {
    double entropy = 0.0;
    for (double l : values)
      if (l > tolerance) entropy -= l * std::log(l);
    return std::exp(entropy);
  }
  double sum = 0.0;
  for (double l : values)
    if (l > tolerance) sum += std::pow(l, q);
  return std::exp(std::log(sum) / (1.0 - q));
}

}  // namespace

double vendi_score_from_kernel(const std::vector<double>& K, std::int64_t n, double q) {
  check_q(q, "vendi_score_from_kernel");
  GENSWEEP_CHECK(n >= 1, DataError, "vendi_score_from_kernel: n must be >= 1, got {}", n);
  GENSWEEP_CHECK(static_cast<std::int64_t>(K.size()) == n * n, DataError,
                 "vendi_score_from_kernel: the kernel has {} entries, expected {} x {} = {}",
                 K.size(), n, n, n * n);
  Eigen::MatrixXd a(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double v = K[static_cast<std::size_t>(i * n + j)];
      GENSWEEP_CHECK(std::isfinite(v), NumericalError,
                     "vendi_score_from_kernel: non-finite kernel entry {} at ({}, {})", v, i, j);
      a(i, j) = v / static_cast<double>(n);
    }
  return score_from_eigenvalues(linalg::symmetric_eigen(a, false, "vendi_score_from_kernel"), q);
}

VendiResult vendi_score(FeatureView x, const VendiOptions& options) {
  constexpr std::string_view what = "vendi";
  check_q(options.q, what);
  detail::check_finite_features(x, what, "features");
  GENSWEEP_CHECK(x.rows >= 1 && x.cols >= 1, NumericalError,
                 "vendi: needs a non-empty feature matrix, got {} x {}", x.rows, x.cols);
  const std::int64_t n = x.rows, d = x.cols;
  VendiResult result;
  const bool dual = options.form == VendiOptions::Form::kDual ||
                    (options.form == VendiOptions::Form::kAuto && n > d);
  const std::int64_t k = dual ? d : n;
  const detail::RowSource source = detail::all_rows(x, options.normalize, what);
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(k, k);
  // A block of gathered rows is row-major [b x D], i.e. the column-major [D x b] matrix X_b^T.
  // Dual: X^T X / n [D x D] = sum over blocks of (X_b^T)(X_b^T)^T, streamed so memory stays
  // O(D^2 + block D) for any n. Primal (n <= D unless forced): X X^T / n [n x n] = (X^T)^T (X^T)
  // from all rows at once. Upper triangles only (dsyevd reads the upper triangle).
  const std::int64_t block = dual ? detail::kKernelBlock : std::max<std::int64_t>(n, 1);
  std::vector<double> rows(static_cast<std::size_t>(std::min(block, n) * d));
  for (std::int64_t start = 0; start < n; start += block) {
    const std::int64_t b = std::min(block, n - start);
    source.gather(start, b, rows.data());
    cblas_dsyrk(CblasColMajor, CblasUpper, dual ? CblasNoTrans : CblasTrans,
                static_cast<blasint>(k), static_cast<blasint>(dual ? b : d),
                1.0 / static_cast<double>(n), rows.data(), static_cast<blasint>(d), 1.0,
                gram.data(), static_cast<blasint>(k));
  }
  result.form = dual ? "dual" : "primal";
  result.value = score_from_eigenvalues(linalg::symmetric_eigen(gram, false, "vendi"), options.q);
  return result;
}

}  // namespace gensweep::metrics
