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
//   (LAPACK dsyevd, values only) of a symmetric matrix M similar to
//   Sigma1^{1/2} Sigma2 Sigma1^{1/2}, whose eigenvalues are those of Sigma1 Sigma2. When the
//   Cholesky factorisation Sigma1 = U^T U (dpotrf) succeeds with no pivot below numpy's rank
//   tolerance, M = U Sigma2 U^T (dsygst): no eigenvectors are needed, and Sigma1's rank is D for
//   free. Otherwise Sigma1 = V L V^T (dsyevd with vectors), L clipped at 0,
//   W = V diag(sqrt(L)) and M = W^T Sigma2 W, orthogonally similar to R Sigma2 R with
//   R = Sigma1^{1/2} = W V^T (formed as G^T G with G = L2^T W when Sigma2 = L2 L2^T factors).
//   Everything stays real and symmetric. The diagnostics cost almost nothing: Sigma2's rank comes
//   from one more dpotrf (about 0.1 s at D = 2048, against 1.2 s for its eigenvalues), which
//   falls back to eigenvalues only when Sigma2 is singular.
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
  // Compute the diagnostics that are not free: rank2 on the symmetric route (a Cholesky
  // factorisation of Sigma2 when Sigma1 is positive definite, about 0.1 s at D = 2048 against
  // 1.2 s for the rest of the route; the eigenvalues of Sigma2 when that factorisation fails or
  // shows a null space), and on the nuclear-norm route the rank of each set that enters through
  // its features (an SVD of those features; for a large set, also min_eigenvalue_sigma1). Off,
  // those fields are -1 or NaN; rank1, min_eigenvalue and everything the route computes anyway
  // are still filled. The value is bit for bit the same either way. Worth turning off only where
  // FD is computed many times and only the value matters (FD-infinity extrapolation, bootstrap
  // intervals), mostly on the nuclear-norm route.
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
  // Numerical rank of each covariance (with eps added, if any). D when its Cholesky factorisation
  // succeeds with every pivot above numpy.linalg.matrix_rank's tolerance (a pivot bounds the
  // smallest eigenvalue from above, so a smaller one proves the rank deficient); otherwise from
  // its eigenvalues, with matrix_rank's tolerance (those above D * DBL_EPSILON times the
  // largest). For a set that enters the nuclear-norm route through its centred features, the
  // rank of those features (singular values above max(N, D) * DBL_EPSILON times the largest).
  // -1 when not computed (FrechetOptions::diagnostics off and not free on the route taken).
  std::int64_t rank1 = 0, rank2 = 0;
  // Smallest eigenvalue, before clipping, of M = Sigma1^1/2 Sigma2 Sigma1^1/2 (eps added to both,
  // if any): the D x D matrix whose square root's trace is trace_sqrt. M is singular exactly when
  // Sigma1 or Sigma2 is, so 0 or a round-off-sized value (of either sign) flags a singular
  // covariance; a negative value is round-off, clipped to 0 in trace_sqrt. Symmetric route: the
  // smallest eigenvalue of the M it diagonalises, or 0 when that is positive and Sigma1 had
  // null directions dropped (M then has exact zero eigenvalues). Nuclear-norm route: the D-th
  // largest singular value of A B^T (or of its factor form) squared, or exactly 0 when there are
  // fewer than D. Always computed: it costs nothing.
  double min_eigenvalue = 0.0;
  // Smallest eigenvalue of Sigma1 (eps added, if any) before clipping, where the route computes
  // Sigma1's eigenvalues anyway: the symmetric route when Sigma1 is not positive definite, the
  // nuclear-norm route for a large set entering through its covariance factor, or the squared
  // smallest singular value of its centred features (diagnostics on, N1 - 1 >= D). Exactly 0 on
  // the nuclear-norm route with N1 - 1 < D (Sigma1 is singular and never formed). NaN otherwise:
  // a positive definite Sigma1 on the symmetric route (rank1 == D says enough there).
  double min_eigenvalue_sigma1 = 0.0;
  // Negative eigenvalues set to 0: those of Sigma1 (eigenvector route) plus those of M.
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
