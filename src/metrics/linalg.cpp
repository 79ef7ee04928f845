#include "gensweep/metrics/linalg.h"

#include <lapacke.h>

#include <cfloat>
#include <limits>

#include "gensweep/core/error.h"

namespace gensweep::metrics::linalg {
namespace {

lapack_int lapack_dim(Eigen::Index n, std::string_view what) {
  GENSWEEP_CHECK(n <= std::numeric_limits<lapack_int>::max(), NumericalError,
                 "{}: dimension {} exceeds LAPACK's 32-bit index range", what, n);
  return static_cast<lapack_int>(n);
}

}  // namespace

Eigen::VectorXd symmetric_eigen(Eigen::MatrixXd& a, bool vectors, std::string_view what) {
  GENSWEEP_ASSERT(a.rows() == a.cols(), "{}: symmetric_eigen of a {} x {} matrix", what, a.rows(),
                  a.cols());
  const lapack_int n = lapack_dim(a.rows(), what);
  Eigen::VectorXd values(n);
  if (n == 0) return values;
  // Divide and conquer: the fastest LAPACK driver for all eigenpairs of a dense matrix.
  const lapack_int info =
      LAPACKE_dsyevd(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U', n, a.data(), n, values.data());
  GENSWEEP_CHECK(info == 0, NumericalError,
                 "{}: LAPACK dsyevd failed on a {} x {} symmetric matrix (info {})", what, n, n,
                 info);
  return values;
}

bool cholesky_upper(Eigen::MatrixXd& a, std::string_view what) {
  GENSWEEP_ASSERT(a.rows() == a.cols(), "{}: cholesky_upper of a {} x {} matrix", what, a.rows(),
                  a.cols());
  const lapack_int n = lapack_dim(a.rows(), what);
  if (n == 0) return true;
  const lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, a.data(), n);
  GENSWEEP_ASSERT(info >= 0, "{}: LAPACK dpotrf rejected argument {}", what, -info);
  return info == 0;
}

bool cholesky_lower(Eigen::MatrixXd& a, std::string_view what) {
  GENSWEEP_ASSERT(a.rows() == a.cols(), "{}: cholesky_lower of a {} x {} matrix", what, a.rows(),
                  a.cols());
  const lapack_int n = lapack_dim(a.rows(), what);
  if (n == 0) return true;
  const lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, a.data(), n);
  GENSWEEP_ASSERT(info >= 0, "{}: LAPACK dpotrf rejected argument {}", what, -info);
  return info == 0;
}

void cholesky_congruence(Eigen::MatrixXd& a, const Eigen::MatrixXd& u, std::string_view what) {
  GENSWEEP_ASSERT(a.rows() == a.cols() && u.rows() == a.rows() && u.cols() == a.cols(),
                  "{}: cholesky_congruence of a {} x {} matrix by a {} x {} factor", what, a.rows(),
                  a.cols(), u.rows(), u.cols());
  const lapack_int n = lapack_dim(a.rows(), what);
  if (n == 0) return;
  // dsygst only scales, multiplies and adds (no pivots, no iteration): it fails only on invalid
  // arguments.
  const lapack_int info = LAPACKE_dsygst(LAPACK_COL_MAJOR, 2, 'U', n, a.data(), n, u.data(), n);
  GENSWEEP_ASSERT(info == 0, "{}: LAPACK dsygst rejected argument {}", what, -info);
}

Eigen::VectorXd singular_values(Eigen::MatrixXd& a, std::string_view what) {
  const lapack_int m = lapack_dim(a.rows(), what);
  const lapack_int n = lapack_dim(a.cols(), what);
  Eigen::VectorXd values(std::min(m, n));
  if (values.size() == 0) return values;
  // jobz = 'N': no singular vectors, so u and vt are never referenced (their leading dimension
  // must still be >= 1).
  const lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', m, n, a.data(), m, values.data(),
                                         nullptr, 1, nullptr, 1);
  GENSWEEP_CHECK(info == 0, NumericalError,
                 "{}: LAPACK dgesdd failed on a {} x {} matrix (info {})", what, m, n, info);
  return values;
}

std::int64_t numerical_rank(const Eigen::VectorXd& values, std::int64_t max_dim) {
  if (values.size() == 0) return 0;
  const double tolerance =
      static_cast<double>(max_dim) * DBL_EPSILON * values.cwiseAbs().maxCoeff();
  return static_cast<std::int64_t>((values.array() > tolerance).count());
}

}  // namespace gensweep::metrics::linalg
