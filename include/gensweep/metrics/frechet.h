#pragma once
// Fréchet distance between Gaussians fitted to two feature sets: FID when the features are
// Inception pool3 (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to
// a Local Nash Equilibrium"), FD_DINOv2 / CLIP-FD with other backbones.
//
//   FD = |mu1 - mu2|^2 + tr(Sigma1) + tr(Sigma2) - 2 tr((Sigma1 Sigma2)^{1/2})
//
// Conventions (METRICS.md §2):
// - mean and covariance in float64, covariance with denominator N - 1 (np.cov), as pytorch-fid;
// - the value is symmetric in its two arguments; neither set is privileged ("reference" is only
//   a naming convention of the caller);
// - nothing is clamped: round-off can make FD slightly negative (identical sets give |FD| of
//   order 1e-12 relative to the traces); clamp for display only.
//
// How t = tr((Sigma1 Sigma2)^{1/2}) is computed. Never with a general matrix square root
// (scipy.linalg.sqrtm, as pytorch-fid does): it is slow, and it can return complex or non-finite
// results on singular covariances. Instead:
// - "symmetric-eigen" (from statistics): t = sum_i sqrt(max(mu_i, 0)) over the eigenvalues mu_i
//   (LAPACK dsyevd) of a symmetric matrix M similar to Sigma1^{1/2} Sigma2 Sigma1^{1/2}, whose
//   eigenvalues are those of Sigma1 Sigma2. When Sigma1 has full numerical rank, Sigma1 = U^T U
//   (Cholesky, dpotrf) and M = U Sigma2 U^T: no eigenvectors are needed, about twice as fast.
//   Otherwise Sigma1 = V L V^T (dsyevd), L clipped at 0, W = V diag(sqrt(L)) and M = W^T Sigma2 W,
//   orthogonally similar to R Sigma2 R with R = Sigma1^{1/2} = W V^T (one product fewer than
//   forming R). Everything stays real and symmetric; the eigenvalues of Sigma1 and Sigma2 are
//   computed (without vectors) for the diagnostics below.
// - "nuclear-norm" (from features, when a set has fewer samples than dimensions): with
//   A = (X1 - mu1) / sqrt(N1 - 1), Sigma1 = A^T A (likewise B for set 2), t = sum of the
//   singular values of A B^T (LAPACK dgesdd, float64). When N - 1 < D the covariance is singular,
//   and every route that starts from the D x D covariances (sqrtm, eigenvalues of Sigma1 Sigma2,
//   and the symmetric route above) takes square roots of round-off in the null space: they come
//   out low by 1e-7 to 3.5e-5 relative on real N < D features (shared/golden/README.md,
//   singular_d2048: pytorch-fid 328.2922915845975 vs the exact 328.2923463899517). The
//   nuclear-norm form never forms the singular covariance, so it is exact to round-off. When only
//   one set is small, the large set enters through the factor W^T of its covariance instead of
//   its centred rows (same singular values, since W W^T = Sigma), which keeps the work O(D^3).

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "gensweep/metrics/statistics.h"

namespace gensweep::metrics {

enum class FrechetRoute {
  kAuto,            // features: nuclear-norm when min(N1, N2) - 1 < D, else symmetric-eigen
  kSymmetricEigen,  // always through the statistics (features are reduced to them first)
  kNuclearNorm,     // always through the features (needs them: an error with statistics only)
};

struct FrechetOptions {
  // Added to the diagonal of both covariances inside the square root only (the traces are not
  // offset), as pytorch-fid's retry path does with 1e-6. 0: no regularisation, unless the
  // eigensolver fails to converge, in which case the computation is retried once with 1e-6 and
  // the result says so (regularization, notes). A positive eps forces the symmetric route.
  double eps = 0.0;
  FrechetRoute route = FrechetRoute::kAuto;
  // Compute rank1, rank2 and min_eigenvalue. On the symmetric route that is the eigenvalues of
  // both covariances, about half its time at D = 2048; on the nuclear-norm route, the singular
  // values of each small set's features. Turn off where FD is computed many times and only the
  // value matters (FD-infinity extrapolation, bootstrap intervals): the fields are then -1, -1
  // and NaN unless the route obtains them anyway. The value is the same, except that a singular
  // Sigma1 whose Cholesky factorisation happens to succeed takes the Cholesky path instead of
  // the eigenvector one (the two then differ by the null-space round-off described above).
  bool diagnostics = true;
};

struct FrechetResult {
  double value = 0.0;       // FD = mean_term + trace1 + trace2 - 2 * trace_sqrt
  double mean_term = 0.0;   // |mu1 - mu2|^2
  double trace1 = 0.0;      // tr(Sigma1)
  double trace2 = 0.0;      // tr(Sigma2)
  double trace_sqrt = 0.0;  // tr((Sigma1 Sigma2)^{1/2})
  std::string route;        // "symmetric-eigen" or "nuclear-norm"
  std::int64_t n1 = 0, n2 = 0, dim = 0;
  // Numerical rank of each covariance, with numpy.linalg.matrix_rank's tolerance: from its
  // eigenvalues (those above D * DBL_EPSILON times the largest), or, for a set that enters the
  // nuclear-norm route through its centred features, the rank of those features (singular
  // values above max(N, D) * DBL_EPSILON times the largest).
  // -1 when not computed (FrechetOptions::diagnostics off).
  std::int64_t rank1 = 0, rank2 = 0;
  // Smallest eigenvalue of Sigma1 (with eps added, if any) before clipping. On the nuclear-norm
  // route with N1 - 1 < D, Sigma1 is never formed and its smallest eigenvalue is exactly 0.
  // NaN when not computed (FrechetOptions::diagnostics off).
  double min_eigenvalue = 0.0;
  // Negative eigenvalues set to 0: those of Sigma1 plus those of W^T Sigma2 W (symmetric route).
  std::int64_t clipped_eigenvalues = 0;
  double regularization = 0.0;     // eps actually added inside the square root (0 if none)
  std::vector<std::string> notes;  // human-readable diagnostics (singular covariances, clipping)
};

// From statistics: the symmetric-eigen route (options.route must not be kNuclearNorm).
// Throws NumericalError for a dimension mismatch, a count < 2, inconsistent shapes or a
// non-finite mean or scatter.
FrechetResult frechet_distance(const GaussianStats& a, const GaussianStats& b,
                               const FrechetOptions& options = {});

// From features a [N1 x D] and b [N2 x D] (float32, row-major): the nuclear-norm route when
// min(N1, N2) - 1 < D, else compute_stats on each and the symmetric route (see FrechetRoute to
// force one). Throws NumericalError for a dimension mismatch, fewer than 2 rows or a non-finite
// feature.
FrechetResult frechet_distance(FeatureView a, FeatureView b, const FrechetOptions& options = {});

}  // namespace gensweep::metrics
