#include "gensweep/metrics/frechet.h"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string_view>

#include "gensweep/core/error.h"
#include "gensweep/metrics/linalg.h"
#include "stats_internal.h"

namespace gensweep::metrics {
namespace {

constexpr std::string_view kWhat = "frechet_distance";
constexpr std::string_view kSymmetricRoute = "symmetric-eigen";
constexpr std::string_view kNuclearRoute = "nuclear-norm";
// pytorch-fid's eps: the fallback when the eigensolver does not converge unregularised.
constexpr double kFallbackEps = 1e-6;

blasint blas_dim(Eigen::Index n) {
  return static_cast<blasint>(n);
}

void check_stats(const GaussianStats& s, int which) {
  GENSWEEP_CHECK(s.scatter.rows() == s.dim() && s.scatter.cols() == s.dim(), NumericalError,
                 "{}: set {} statistics are inconsistent: mean has {} entries, scatter is {} x {}",
                 kWhat, which, s.dim(), s.scatter.rows(), s.scatter.cols());
  GENSWEEP_CHECK(s.imported || s.count >= 2, NumericalError,
                 "{}: set {} has {} sample(s); the N-1 covariance needs at least 2", kWhat, which,
                 s.count);
  for (Eigen::Index i = 0; i < s.mean.size(); ++i) {
    GENSWEEP_CHECK(std::isfinite(s.mean[i]), NumericalError,
                   "{}: set {} has a non-finite mean: mean[{}] = {}", kWhat, which, i, s.mean[i]);
  }
  if (!s.scatter.allFinite()) {
    for (Eigen::Index j = 0; j < s.scatter.cols(); ++j) {
      for (Eigen::Index i = 0; i < s.scatter.rows(); ++i) {
        GENSWEEP_CHECK(std::isfinite(s.scatter(i, j)), NumericalError,
                       "{}: set {} has a non-finite scatter: scatter({}, {}) = {}", kWhat, which, i,
                       j, s.scatter(i, j));
      }
    }
  }
}

void check_features(FeatureView a, FeatureView b) {
  GENSWEEP_CHECK(a.cols == b.cols, NumericalError,
                 "{}: dimension mismatch: set 1 is {} x {}, set 2 is {} x {}", kWhat, a.rows,
                 a.cols, b.rows, b.cols);
  GENSWEEP_CHECK(a.cols > 0, NumericalError, "{}: features have dimension 0", kWhat);
  int which = 1;
  for (const FeatureView* x : {&a, &b}) {
    GENSWEEP_CHECK(x->rows >= 2, NumericalError,
                   "{}: set {} has {} row(s); the N-1 covariance needs at least 2", kWhat, which,
                   x->rows);
    ++which;
  }
}

// A square-root factor of a covariance: W [D x r] with W W^T = Sigma (up to the clipping of
// negative round-off eigenvalues), from Sigma = V L V^T: W = V_+ diag(sqrt(L_+)) over the r
// positive eigenvalues. Columns for zero eigenvalues contribute nothing, so they are dropped.
struct CovarianceFactor {
  Eigen::MatrixXd w;
  Eigen::VectorXd eigenvalues;  // ascending, before clipping
  std::int64_t clipped = 0;     // negative eigenvalues set to 0
};

CovarianceFactor factor_covariance(Eigen::MatrixXd sigma, std::string_view what) {
  CovarianceFactor f;
  f.eigenvalues = linalg::symmetric_eigen(sigma, /*vectors=*/true, what);
  const Eigen::Index d = f.eigenvalues.size();
  Eigen::Index first_positive = 0;  // eigenvalues are ascending
  while (first_positive < d && f.eigenvalues[first_positive] <= 0.0)
    ++first_positive;
  f.clipped = (f.eigenvalues.array() < 0.0).count();
  const Eigen::Index r = d - first_positive;
  f.w = sigma.rightCols(r) *
        f.eigenvalues.tail(r).cwiseSqrt().asDiagonal();  // scale each eigenvector column
  return f;
}

// rank < 0: not computed (FrechetOptions::diagnostics off); the count still bounds it.
std::string rank_text(std::int64_t n, std::int64_t rank) {
  return rank >= 0 ? fmt::format("rank {}", rank) : fmt::format("rank <= {}", n - 1);
}

std::string singular_note(int which, std::int64_t n, std::int64_t rank, std::int64_t dim,
                          bool nuclear) {
  if (nuclear) {
    return fmt::format(
        "N < D for set {} (N = {}): covariance is singular ({} < {}); used the exact "
        "nuclear-norm route",
        which, n, rank_text(n, rank), dim);
  }
  if (n - 1 < dim) {
    return fmt::format(
        "N < D for set {} (N = {}): covariance is singular ({} < {}); the symmetric route "
        "takes square roots of round-off in its null space and comes out low by about 1e-7 to "
        "1e-5 relative: pass the features to use the exact nuclear-norm route",
        which, n, rank_text(n, rank), dim);
  }
  return fmt::format(
      "set {}: covariance is rank-deficient (rank {} < {} with N = {}: constant or collinear "
      "features); the symmetric route may lose precision in its null space",
      which, rank, dim, n);
}

// dpotrf on `a` in place, and whether it shows full numerical rank. Every pivot (the squared
// diagonal of the factor, a Schur complement) is at least the smallest eigenvalue of `a`, so a
// pivot at or below D * DBL_EPSILON * max_k a_kk (<= numpy.linalg.matrix_rank's tolerance,
// D * DBL_EPSILON * lambda_max) proves the rank deficient even when dpotrf succeeds; such a matrix
// is treated like one whose factorisation failed. The converse does not hold exactly: a covariance
// whose smallest eigenvalue is below the tolerance while every pivot stays above it is reported
// full rank (matrix_rank would count fewer), which takes contrived conditioning and only affects
// the rank, not the value.
struct CholeskyCheck {
  bool factored = false;   // dpotrf succeeded
  bool full_rank = false;  // and no pivot betrays a numerical null space
};

// upper: `a` = U^T U with U in the upper triangle and the diagonal (the strictly lower triangle
// untouched); otherwise `a` = L L^T with L in the lower triangle and the diagonal.
CholeskyCheck cholesky_check(Eigen::MatrixXd& a, bool upper, std::string_view what) {
  const Eigen::Index d = a.rows();
  const double max_diagonal = a.diagonal().maxCoeff();
  CholeskyCheck c;
  c.factored = upper ? linalg::cholesky_upper(a, what) : linalg::cholesky_lower(a, what);
  if (c.factored) {
    const double min_pivot = a.diagonal().cwiseAbs2().minCoeff();
    c.full_rank = min_pivot > static_cast<double>(d) * DBL_EPSILON * max_diagonal;
  }
  return c;
}

// The symmetric-eigen route on the two covariances of `a` and `b`, with eps added to both
// diagonals inside the square root only; the caller fills the mean and trace terms. The route
// builds and overwrites its own two covariances and copies no 32 MiB matrix (D = 2048) on the
// default path: Sigma2 keeps its upper triangle while its Cholesky factor L2 goes in the lower
// one (only the diagonal, which both share, is swapped as needed), since every consumer of Sigma2
// (dsygst, dsymm, dsyevd) reads the upper triangle only.
FrechetResult symmetric_route(const GaussianStats& a, const GaussianStats& b, double eps,
                              bool diagnostics) {
  const Eigen::Index d = a.dim();
  FrechetResult r;
  r.route = kSymmetricRoute;
  r.regularization = eps;
  r.rank1 = r.rank2 = -1;
  r.min_eigenvalue_sigma1 = std::numeric_limits<double>::quiet_NaN();
  const auto covariance_of = [eps](const GaussianStats& s) {
    Eigen::MatrixXd c = covariance(s);
    if (eps > 0.0) c.diagonal().array() += eps;
    return c;
  };

  Eigen::MatrixXd sigma1 = covariance_of(a);
  const CholeskyCheck c1 =
      cholesky_check(sigma1, /*upper=*/true, "frechet_distance: Cholesky factor of Sigma1");
  Eigen::MatrixXd sigma2 = covariance_of(b);
  // Sigma2's Cholesky factorisation gives rank2 (0.1 s at D = 2048, against 1.2 s for its
  // eigenvalues) and, on the eigenvector route, a cheaper M; with Sigma1 positive definite and
  // no diagnostics wanted, it is not needed at all. dpotrf writes L2 over the lower triangle and
  // the diagonal; putting Sigma2's diagonal back at once keeps `sigma2` = Sigma2 for every
  // upper-triangle reader, and L2 = its strictly lower triangle + factor_diagonal2.
  CholeskyCheck c2;
  Eigen::VectorXd factor_diagonal2;
  if (diagnostics || !c1.full_rank) {
    const Eigen::VectorXd diagonal2 = sigma2.diagonal();
    c2 = cholesky_check(sigma2, /*upper=*/false, "frechet_distance: Cholesky factor of Sigma2");
    factor_diagonal2 = sigma2.diagonal();
    sigma2.diagonal() = diagonal2;
  }
  if (c2.full_rank) {
    r.rank2 = d;
  } else if (diagnostics) {
    // Sigma2 is singular (or its factorisation failed): its eigenvalues, from a copy, since
    // Sigma2 is still needed. Rare with statistics of N2 - 1 >= D samples.
    Eigen::MatrixXd scratch = sigma2;
    r.rank2 =
        linalg::numerical_rank(linalg::symmetric_eigen(scratch, /*vectors=*/false,
                                                       "frechet_distance: eigenvalues of Sigma2"),
                               d);
  }

  // M, a symmetric matrix whose eigenvalues are those of Sigma1^1/2 Sigma2 Sigma1^1/2 (all real
  // and >= 0 in exact arithmetic):
  // - Sigma1 of full numerical rank (Cholesky succeeds, cholesky_check): Sigma1 = U^T U and
  //   M = U Sigma2 U^T (dsygst), similar to Sigma1^1/2 Sigma2 Sigma1^1/2 through the orthogonal
  //   U Sigma1^-1/2. No eigenvectors are needed (METRICS.md §2.4, Cholesky variant), and the
  //   rank of Sigma1 is D for free.
  // - otherwise: Sigma1 = V L V^T (dsyevd), W = V sqrt(max(L, 0)) over the k positive
  //   eigenvalues, M = W^T Sigma2 W [k x k], whose eigenvalues are the nonzero ones of
  //   R Sigma2 R with R = Sigma1^1/2 = W V^T (R has rank k, so the D x D matrix has D - k more
  //   zeros). Negative round-off eigenvalues of Sigma1 are clipped to 0.
  Eigen::MatrixXd m;
  Eigen::Index null_dims = 0;  // D - (order of m): exact zero eigenvalues of the D x D matrix
  if (c1.full_rank) {
    r.rank1 = d;
    linalg::cholesky_congruence(sigma2, sigma1, "frechet_distance: U Sigma2 U^T");
    m = std::move(sigma2);
  } else {
    // dpotrf destroyed Sigma1 (or left a factor with a null space that needs clipping).
    sigma1 = covariance_of(a);
    CovarianceFactor f =
        factor_covariance(std::move(sigma1), "frechet_distance: eigendecomposition of Sigma1");
    r.clipped_eigenvalues = f.clipped;
    r.min_eigenvalue_sigma1 = f.eigenvalues[0];
    r.rank1 = linalg::numerical_rank(f.eigenvalues, d);
    const Eigen::Index k = f.w.cols();
    null_dims = d - k;
    m.resize(k, k);
    if (k > 0 && c2.factored) {
      // Sigma2 = L2 L2^T (any successful factorisation will do, a tiny pivot included), so
      // M = G^T G with G = L2^T W: one dtrmm and one dsyrk, half the flops of the general
      // products below, and M comes out exactly symmetric and positive semi-definite.
      sigma2.diagonal() = factor_diagonal2;  // the lower triangle is L2 now (Sigma2 not needed)
      cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, blas_dim(d),
                  blas_dim(k), 1.0, sigma2.data(), blas_dim(d), f.w.data(), blas_dim(d));
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, blas_dim(k), blas_dim(d), 1.0, f.w.data(),
                  blas_dim(d), 0.0, m.data(), blas_dim(k));
    } else if (k > 0) {
      // C = Sigma2 W (dsymm), then M = W^T C (dgemm).
      Eigen::MatrixXd c(d, k);
      cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, blas_dim(d), blas_dim(k), 1.0,
                  sigma2.data(), blas_dim(d), f.w.data(), blas_dim(d), 0.0, c.data(), blas_dim(d));
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, blas_dim(k), blas_dim(k), blas_dim(d),
                  1.0, f.w.data(), blas_dim(d), c.data(), blas_dim(d), 0.0, m.data(), blas_dim(k));
      // Symmetric in exact arithmetic; dsyevd reads the upper triangle, so average the two
      // triangles into it, and round-off cannot bias the result towards either.
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        for (Eigen::Index i = 0; i < j; ++i)
          m(i, j) = 0.5 * (m(i, j) + m(j, i));
      }
    }
  }
  const Eigen::VectorXd mu =
      linalg::symmetric_eigen(m, /*vectors=*/false, "frechet_distance: eigenvalues of M");
  // Smallest eigenvalue of the D x D matrix, before clipping: the dropped null space of Sigma1
  // contributes exact zeros.
  r.min_eigenvalue = mu.size() > 0 ? mu[0] : 0.0;
  if (null_dims > 0) r.min_eigenvalue = std::min(r.min_eigenvalue, 0.0);
  double trace_sqrt = 0.0;
  std::int64_t clipped_m = 0;
  for (Eigen::Index i = 0; i < mu.size(); ++i) {
    // Clip: M is PSD, so a negative eigenvalue is round-off.
    if (mu[i] < 0.0) {
      ++clipped_m;
    } else {
      trace_sqrt += std::sqrt(mu[i]);
    }
  }
  r.trace_sqrt = trace_sqrt;
  if (r.clipped_eigenvalues + clipped_m > 0) {
    r.notes.push_back(
        std::isnan(r.min_eigenvalue_sigma1)
            ? fmt::format("{} negative round-off eigenvalue(s) clipped to 0 (smallest eigenvalue "
                          "of Sigma1^1/2 Sigma2 Sigma1^1/2: {:.6g})",
                          clipped_m, r.min_eigenvalue)
            : fmt::format("{} negative round-off eigenvalue(s) clipped to 0 ({} of Sigma1, "
                          "smallest {:.6g}; {} of Sigma1^1/2 Sigma2 Sigma1^1/2, smallest {:.6g})",
                          r.clipped_eigenvalues + clipped_m, r.clipped_eigenvalues,
                          r.min_eigenvalue_sigma1, clipped_m, r.min_eigenvalue));
  }
  r.clipped_eigenvalues += clipped_m;
  return r;
}

void finish(FrechetResult& r) {
  r.value = r.mean_term + r.trace1 + r.trace2 - 2.0 * r.trace_sqrt;
}

// One set on the nuclear-norm route: a factor F^T [D x k] with F^T F = Sigma, either the centred
// rows scaled by 1/sqrt(N-1) (k = N) or the covariance factor W (k = rank) for a large set.
struct NuclearSide {
  Eigen::MatrixXd ft;  // [D x k]
  Eigen::VectorXd mean;
  double trace = 0.0;
  std::int64_t rank = 0;
  double min_eigenvalue = 0.0;
  std::int64_t clipped = 0;
  bool from_rows = false;
};

NuclearSide nuclear_side(FeatureView x, int which, bool from_rows, bool diagnostics) {
  const std::string what = fmt::format("{}: set {}", kWhat, which);
  NuclearSide side;
  side.from_rows = from_rows;
  const std::int64_t d = x.cols;
  if (!from_rows) {
    const GaussianStats stats = detail::compute_stats(x, nullptr, what);
    Eigen::MatrixXd sigma = covariance(stats);
    side.mean = stats.mean;
    side.trace = sigma.trace();
    CovarianceFactor f =
        factor_covariance(std::move(sigma), what + ": eigendecomposition of its covariance");
    side.rank = linalg::numerical_rank(f.eigenvalues, d);
    side.min_eigenvalue = f.eigenvalues[0];
    side.clipped = f.clipped;
    side.ft = std::move(f.w);
    return side;
  }
  std::int64_t count = 0;
  side.mean = detail::feature_mean(x, nullptr, count, what);
  const double scale = 1.0 / std::sqrt(static_cast<double>(x.rows - 1));
  // Row i of the features becomes column i of F^T: contiguous writes from contiguous reads.
  side.ft.resize(d, x.rows);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* row = x.row(i);
    double* col = side.ft.col(i).data();
    for (std::int64_t j = 0; j < d; ++j)
      col[j] = (static_cast<double>(row[j]) - side.mean[j]) * scale;
  }
  side.trace = side.ft.squaredNorm();  // tr(A^T A)
  // Sigma = A^T A: with N - 1 < D its rank is <= N - 1 < D and its smallest eigenvalue exactly 0;
  // otherwise its eigenvalues are the squared singular values of A.
  const bool singular = x.rows - 1 < d;
  side.rank = -1;
  side.min_eigenvalue = singular ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  if (diagnostics) {
    Eigen::MatrixXd copy = side.ft;
    const Eigen::VectorXd sv = linalg::singular_values(copy, what + ": rank of its features");
    side.rank = linalg::numerical_rank(sv, std::max<std::int64_t>(d, x.rows));
    if (!singular) side.min_eigenvalue = sv.minCoeff() * sv.minCoeff();
  }
  return side;
}

FrechetResult nuclear_route(FeatureView a, FeatureView b, bool forced, bool diagnostics) {
  const std::int64_t d = a.cols;
  const bool small1 = a.rows - 1 < d;
  const bool small2 = b.rows - 1 < d;
  const NuclearSide s1 = nuclear_side(a, 1, forced || small1, diagnostics);
  const NuclearSide s2 = nuclear_side(b, 2, forced || small2, diagnostics);

  FrechetResult r;
  r.route = kNuclearRoute;
  r.n1 = a.rows;
  r.n2 = b.rows;
  r.dim = d;
  r.mean_term = (s1.mean - s2.mean).squaredNorm();
  r.trace1 = s1.trace;
  r.trace2 = s2.trace;
  r.rank1 = s1.rank;
  r.rank2 = s2.rank;
  r.min_eigenvalue = 0.0;  // unless the singular values below say otherwise
  r.min_eigenvalue_sigma1 = s1.min_eigenvalue;
  r.clipped_eigenvalues = s1.clipped + s2.clipped;

  // t = || F1 F2^T ||_* : the singular values of the [k1 x k2] product, by a true SVD (taking
  // square roots of eigenvalues of its Gram matrix would turn 1e-16 round-off into 1e-8).
  const Eigen::Index k1 = s1.ft.cols();
  const Eigen::Index k2 = s2.ft.cols();
  double trace_sqrt = 0.0;
  if (k1 > 0 && k2 > 0) {
    Eigen::MatrixXd c(k1, k2);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, blas_dim(k1), blas_dim(k2), blas_dim(d),
                1.0, s1.ft.data(), blas_dim(d), s2.ft.data(), blas_dim(d), 0.0, c.data(),
                blas_dim(k1));
    const Eigen::VectorXd sv =
        linalg::singular_values(c, "frechet_distance: singular values of A B^T");
    trace_sqrt = sv.sum();
    // The eigenvalues of Sigma1^1/2 Sigma2 Sigma1^1/2 (D x D, rank <= min(k1, k2)) are the squared
    // singular values of F1 F2^T, padded with zeros: the smallest is the D-th singular value
    // squared when there are at least D of them, else exactly 0.
    if (sv.size() >= d) r.min_eigenvalue = sv[d - 1] * sv[d - 1];
  }
  r.trace_sqrt = trace_sqrt;
  finish(r);

  int which = 1;
  for (const NuclearSide* s : {&s1, &s2}) {
    const std::int64_t n = which == 1 ? r.n1 : r.n2;
    if (n - 1 < d) {
      r.notes.push_back(singular_note(which, n, s->rank, d, /*nuclear=*/true));
    } else if (s->from_rows) {
      r.notes.push_back(fmt::format(
          "set {} (N = {} > D) entered the nuclear-norm route through its centred features, as "
          "requested",
          which, n));
    } else {
      r.notes.push_back(fmt::format(
          "set {} (N = {} > D) entered the nuclear-norm route through its covariance's square-root "
          "factor",
          which, n));
    }
    ++which;
  }
  if (r.clipped_eigenvalues > 0) {
    r.notes.push_back(
        fmt::format("{} negative round-off eigenvalue(s) of a large set's covariance clipped to 0",
                    r.clipped_eigenvalues));
  }
  return r;
}

}  // namespace

FrechetResult frechet_distance(const GaussianStats& a, const GaussianStats& b,
                               const FrechetOptions& options) {
  GENSWEEP_CHECK(options.route != FrechetRoute::kNuclearNorm, NumericalError,
                 "{}: the nuclear-norm route needs the features, not statistics", kWhat);
  GENSWEEP_CHECK(std::isfinite(options.eps) && options.eps >= 0.0, NumericalError,
                 "{}: eps must be finite and >= 0, got {}", kWhat, options.eps);
  check_stats(a, 1);
  check_stats(b, 2);
  GENSWEEP_CHECK(a.dim() == b.dim(), NumericalError,
                 "{}: dimension mismatch: set 1 has dimension {}, set 2 has dimension {}", kWhat,
                 a.dim(), b.dim());
  GENSWEEP_CHECK(a.dim() > 0, NumericalError, "{}: statistics have dimension 0", kWhat);

  FrechetResult r;
  std::string retry_note;
  try {
    r = symmetric_route(a, b, options.eps, options.diagnostics);
  } catch (const NumericalError& e) {
    // pytorch-fid's behaviour when its sqrtm fails: regularise inside the square root and retry.
    if (options.eps > 0.0) throw;
    r = symmetric_route(a, b, kFallbackEps, options.diagnostics);
    retry_note = fmt::format(
        "the eigensolver failed without regularisation ({}); retried with eps = {} added to both "
        "covariances inside the square root",
        e.what(), kFallbackEps);
  }
  r.n1 = a.count;
  r.n2 = b.count;
  r.dim = a.dim();
  r.mean_term = (a.mean - b.mean).squaredNorm();
  // tr(Sigma) summed over the diagonal of scatter / (N - 1), entry by entry as covariance()
  // divides them: the same double as np.trace(np.cov(x)), without forming the matrix again.
  r.trace1 = (a.scatter.diagonal() / a.covariance_divisor()).sum();
  r.trace2 = (b.scatter.diagonal() / b.covariance_divisor()).sum();
  finish(r);

  std::vector<std::string> notes;
  if (!retry_note.empty()) notes.push_back(retry_note);
  if (options.eps > 0.0) {
    notes.push_back(fmt::format(
        "regularised: eps = {} added to both covariances inside the square root (traces not "
        "offset)",
        options.eps));
  }
  // Unknown ranks (diagnostics off) are still bounded by the counts, where they are known.
  const auto singular = [&](const GaussianStats& s, std::int64_t rank) {
    if (rank >= 0) return rank < r.dim;
    return !(s.imported && s.count == 0) && s.count - 1 < r.dim;
  };
  if (singular(a, r.rank1)) notes.push_back(singular_note(1, r.n1, r.rank1, r.dim, false));
  if (singular(b, r.rank2)) notes.push_back(singular_note(2, r.n2, r.rank2, r.dim, false));
  for (const auto* s : {&a, &b}) {
    if (!s->imported) continue;
    notes.push_back(fmt::format(
        "set {} is imported statistics ({}): the covariance route was the only one possible",
        s == &a ? 1 : 2, s->count > 0 ? fmt::format("N = {}", s->count) : "N unknown"));
  }
  notes.insert(notes.end(), r.notes.begin(), r.notes.end());
  r.notes = std::move(notes);
  return r;
}

FrechetResult frechet_distance(FeatureView a, FeatureView b, const FrechetOptions& options) {
  check_features(a, b);
  const bool small = std::min(a.rows, b.rows) - 1 < a.cols;
  const bool nuclear = options.route == FrechetRoute::kNuclearNorm ||
                       (options.route == FrechetRoute::kAuto && small && options.eps == 0.0);
  if (nuclear) {
    GENSWEEP_CHECK(options.eps == 0.0, NumericalError,
                   "{}: eps = {} cannot be applied on the nuclear-norm route", kWhat, options.eps);
    return nuclear_route(a, b, options.route == FrechetRoute::kNuclearNorm, options.diagnostics);
  }
  const std::string what1 = fmt::format("{}: set 1", kWhat);
  const std::string what2 = fmt::format("{}: set 2", kWhat);
  return frechet_distance(detail::compute_stats(a, nullptr, what1),
                          detail::compute_stats(b, nullptr, what2), options);
}

}  // namespace gensweep::metrics
