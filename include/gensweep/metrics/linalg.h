#pragma once
// Thin wrappers over the LAPACK drivers the metrics need, on Eigen's column-major float64
// matrices. LAPACK's divide-and-conquer drivers are called directly because they are several
// times faster than Eigen's own solvers at D = 2048 (dsyevd about 1 s against 6 to 11 s for
// SelfAdjointEigenSolver), and EIGEN_USE_LAPACKE would route to the slower dsyev.

#include <Eigen/Core>

#include <cstdint>
#include <string_view>

namespace gensweep::metrics::linalg {

// Eigenvalues of the symmetric matrix `a` [n x n] in ascending order (LAPACK dsyevd, reading the
// upper triangle). With vectors, `a` is overwritten by the orthonormal eigenvectors (column i
// belongs to eigenvalue i); without, its contents are destroyed. Throws NumericalError naming
// `what` when the solver does not converge or n exceeds LAPACK's 32-bit index range.
Eigen::VectorXd symmetric_eigen(Eigen::MatrixXd& a, bool vectors, std::string_view what);

// Cholesky factorisation a = U^T U (LAPACK dpotrf) in place: the upper triangle of `a` becomes U
// (the strictly lower triangle is left as it was, unused). Returns false when `a` is not
// numerically positive definite (a non-positive pivot); its contents are then unspecified.
bool cholesky_upper(Eigen::MatrixXd& a, std::string_view what);

// The same with a = L L^T (dpotrf 'L'): the lower triangle and the diagonal become L, the strictly
// upper triangle is left as it was. With the diagonal saved and put back, a symmetric matrix then
// holds both itself (upper triangle) and its factor (lower), for solvers that read one triangle.
bool cholesky_lower(Eigen::MatrixXd& a, std::string_view what);

// The congruence a := U a U^T of the symmetric matrix `a` [n x n] by the upper Cholesky factor U
// that cholesky_upper left in `u` (LAPACK dsygst, itype 2). Reads and writes only the upper
// triangles: the result is exactly symmetric, and it exploits the symmetry of `a`, so it costs
// about n^3 flops, half of two triangular products (dtrmm) that form the same matrix in full.
void cholesky_congruence(Eigen::MatrixXd& a, const Eigen::MatrixXd& u, std::string_view what);

// Singular values of `a` [m x n] in descending order (LAPACK dgesdd, no vectors); `a` is
// destroyed. Throws NumericalError naming `what` when the solver does not converge.
Eigen::VectorXd singular_values(Eigen::MatrixXd& a, std::string_view what);

// Number of values above max_dim * DBL_EPSILON * (largest |value|), numpy.linalg.matrix_rank's
// tolerance when the values are singular values of a matrix whose larger side is max_dim.
std::int64_t numerical_rank(const Eigen::VectorXd& values, std::int64_t max_dim);

}  // namespace gensweep::metrics::linalg
