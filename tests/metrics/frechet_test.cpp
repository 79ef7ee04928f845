// Fréchet distance: the closed-form vectors of METRICS.md §13 (T1-T5), properties (symmetry,
// translation invariance, identical sets, agreement of the routes) and the error messages.
#include "gensweep/metrics/frechet.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

FeatureMatrix make_matrix(std::int64_t rows, std::int64_t cols, std::vector<float> values) {
  FeatureMatrix m(rows, cols);
  m.values = std::move(values);
  return m;
}

// Statistics whose covariance is exactly `cov` (count - 1 is a power of two or 1).
GaussianStats stats_from(const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov,
                         std::int64_t count = 2) {
  return {count, mean, cov * static_cast<double>(count - 1)};
}

// Correlated Gaussian features x = z M + offset with a seeded mixing M: covariances M^T M that
// do not commute between two seeds.
FeatureMatrix mixed_features(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd mix(cols, cols);
  for (Eigen::Index i = 0; i < mix.size(); ++i)
    mix.data()[i] = rng.normal() / std::sqrt(cols);
  mix.diagonal().array() += 1.0;
  FeatureMatrix x(rows, cols);
  Eigen::RowVectorXd z(cols);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (Eigen::Index k = 0; k < cols; ++k)
      z[k] = rng.normal();
    const Eigen::RowVectorXd row = z * mix;
    for (std::int64_t j = 0; j < cols; ++j)
      x.row(i)[j] = static_cast<float>(row[j] + 0.1 * j);
  }
  return x;
}

// Small integers: exact in float32 and after any integer shift, so translation is exact.
FeatureMatrix integer_features(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  Rng rng(seed);
  FeatureMatrix x(rows, cols);
  for (float& v : x.values)
    v = static_cast<float>(static_cast<int>(rng.below(17)) - 8);
  return x;
}

double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

FrechetOptions route(FrechetRoute r) {
  FrechetOptions o;
  o.route = r;
  return o;
}

// T1 (pytorch-fid's own test): mu1 = 0, mu2 = 1, Sigma1 = Sigma2 = I, D = 2048: FD == 2048.
TEST(FrechetClosedForm, T1UnitShiftOfIdentityIsExactlyD) {
  const std::int64_t d = 2048;
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(d, d);
  const FrechetResult r = frechet_distance(stats_from(Eigen::VectorXd::Zero(d), eye),
                                           stats_from(Eigen::VectorXd::Ones(d), eye));
  EXPECT_EQ(r.value, 2048.0);
  EXPECT_EQ(r.route, "symmetric-eigen");
  EXPECT_EQ(r.rank1, d);  // both from Cholesky: no eigenvalues of the covariances needed
  EXPECT_EQ(r.rank2, d);
  EXPECT_EQ(r.min_eigenvalue, 1.0);  // M = I
  EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));
}

// T2: mu1 = (0, 0), Sigma1 = diag(1, 4); mu2 = (1, 1), Sigma2 = diag(4, 1): t = 4, FD = 4.
// M = Sigma1^1/2 Sigma2 Sigma1^1/2 = diag(4, 4): its smallest eigenvalue is 4, not Sigma1's 1.
TEST(FrechetClosedForm, T2CommutingDiagonals) {
  Eigen::MatrixXd s1 = Eigen::Vector2d(1, 4).asDiagonal();
  Eigen::MatrixXd s2 = Eigen::Vector2d(4, 1).asDiagonal();
  const FrechetResult r = frechet_distance(stats_from(Eigen::Vector2d(0, 0), s1, 5),
                                           stats_from(Eigen::Vector2d(1, 1), s2, 3));
  EXPECT_LE(relative_error(r.value, 4.0), 1e-14);
  EXPECT_LE(relative_error(r.trace_sqrt, 4.0), 1e-14);
  EXPECT_EQ(r.mean_term, 2.0);
  EXPECT_EQ(r.trace1, 5.0);
  EXPECT_EQ(r.trace2, 5.0);
  EXPECT_EQ(r.route, "symmetric-eigen");
  EXPECT_EQ(r.n1, 5);
  EXPECT_EQ(r.n2, 3);
  EXPECT_EQ(r.dim, 2);
  EXPECT_EQ(r.rank1, 2);
  EXPECT_EQ(r.rank2, 2);
  EXPECT_NEAR(r.min_eigenvalue, 4.0, 1e-15);
  EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));  // positive definite: never diagonalised
  EXPECT_EQ(r.clipped_eigenvalues, 0);
  EXPECT_EQ(r.regularization, 0.0);
  EXPECT_TRUE(r.notes.empty());
}

// T3: equal means, Sigma1 = [[2, 1], [1, 2]], Sigma2 = I: FD = 6 - 2 (sqrt 3 + 1). M = Sigma1 has
// eigenvalues 1 and 3; both covariances are positive definite, so both ranks come from Cholesky.
TEST(FrechetClosedForm, T3NonCommuting) {
  Eigen::MatrixXd s1(2, 2);
  s1 << 2, 1, 1, 2;
  const Eigen::MatrixXd s2 = Eigen::MatrixXd::Identity(2, 2);
  const FrechetResult r = frechet_distance(stats_from(Eigen::Vector2d(3, -1), s1),
                                           stats_from(Eigen::Vector2d(3, -1), s2));
  EXPECT_LE(relative_error(r.value, 0.5358983848622456), 1e-13);
  EXPECT_LE(relative_error(r.trace_sqrt, std::sqrt(3.0) + 1.0), 1e-15);
  EXPECT_NEAR(r.min_eigenvalue, 1.0, 1e-15);
  EXPECT_EQ(r.rank1, 2);
  EXPECT_EQ(r.rank2, 2);
  EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));
  EXPECT_EQ(r.clipped_eigenvalues, 0);
}

// T3 with a null direction added to Sigma1 (rank 2 < 3): the eigenvector factorisation instead
// of Cholesky. tr Sigma2 gains 1 and t is unchanged: FD = 7 - 2 (sqrt 3 + 1). rank1 and Sigma1's
// smallest eigenvalue (0) come from that eigendecomposition; M = R Sigma2 R = Sigma1 has
// eigenvalues 0, 1, 3; rank2 from Sigma2's Cholesky factor, which also forms M.
TEST(FrechetClosedForm, T3WithASingularSigma1UsesTheEigenvectorFactor) {
  Eigen::MatrixXd s1 = Eigen::MatrixXd::Zero(3, 3);
  s1.topLeftCorner(2, 2) << 2, 1, 1, 2;
  const Eigen::MatrixXd s2 = Eigen::MatrixXd::Identity(3, 3);
  const FrechetResult r = frechet_distance(stats_from(Eigen::Vector3d(1, 2, 3), s1, 5),
                                           stats_from(Eigen::Vector3d(1, 2, 3), s2, 5));
  EXPECT_LE(relative_error(r.value, 7.0 - 2.0 * (std::sqrt(3.0) + 1.0)), 1e-14);
  EXPECT_LE(relative_error(r.trace_sqrt, std::sqrt(3.0) + 1.0), 1e-15);
  EXPECT_EQ(r.rank1, 2);
  EXPECT_EQ(r.rank2, 3);
  EXPECT_NEAR(r.min_eigenvalue, 0.0, 1e-15);
  EXPECT_NEAR(r.min_eigenvalue_sigma1, 0.0, 1e-15);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0],
            "set 1: covariance is rank-deficient (rank 2 < 3 with N = 5: constant or collinear "
            "features); the symmetric route may lose precision in its null space");
}

// T4: FD from samples with N-1 covariances: 1.5985807960526923 (closed form); both routes.
TEST(FrechetClosedForm, T4FromSamplesBothRoutes) {
  const auto x1 = make_matrix(4, 2, {1, 2, 3, 1, 0, 0, 2, 5});
  const auto x2 = make_matrix(5, 2, {2, 2, 1, 0, 4, 3, 3, 3, 0, 1});
  const FrechetResult automatic = frechet_distance(x1.view(), x2.view());
  EXPECT_EQ(automatic.route, "symmetric-eigen");  // N - 1 >= D
  EXPECT_LE(relative_error(automatic.value, 1.5985807960526923), 1e-13);
  EXPECT_LE(relative_error(automatic.trace_sqrt, 4.61237626864032), 1e-13);
  EXPECT_LE(relative_error(automatic.mean_term, 0.29), 1e-14);  // (0.5)^2 + (0.2)^2
  const FrechetResult nuclear =
      frechet_distance(x1.view(), x2.view(), route(FrechetRoute::kNuclearNorm));
  EXPECT_EQ(nuclear.route, "nuclear-norm");
  EXPECT_LE(relative_error(nuclear.value, 1.5985807960526923), 1e-13);
  EXPECT_EQ(nuclear.rank1, 2);
  EXPECT_EQ(nuclear.rank2, 2);
}

// T4b: the StyleGAN convention (denominator N) is not gensweep's; rescaling the scatter by
// (N-1)/N reproduces it, which shows exactly where the conventions differ.
TEST(FrechetClosedForm, T4bPopulationCovarianceIsAScatterRescaling) {
  const auto x1 = make_matrix(4, 2, {1, 2, 3, 1, 0, 0, 2, 5});
  const auto x2 = make_matrix(5, 2, {2, 2, 1, 0, 4, 3, 3, 3, 0, 1});
  GaussianStats s1 = compute_stats(x1.view());
  GaussianStats s2 = compute_stats(x2.view());
  s1.scatter *= 3.0 / 4.0;
  s2.scatter *= 4.0 / 5.0;
  EXPECT_LE(relative_error(frechet_distance(s1, s2).value, 1.2545374100454927), 1e-13);
}

// T5: N < D, singular covariances: t = 0.5, FD = 1.5 exactly by the nuclear-norm route.
TEST(FrechetClosedForm, T5SingularCovariancesUseTheNuclearNormRoute) {
  const auto x1 = make_matrix(2, 3, {0, 0, 0, 1, 1, 0});
  const auto x2 = make_matrix(2, 3, {0, 1, 0, 0, 0, 1});
  const FrechetResult r = frechet_distance(x1.view(), x2.view());
  EXPECT_EQ(r.route, "nuclear-norm");
  EXPECT_LE(relative_error(r.value, 1.5), 1e-15);
  EXPECT_LE(relative_error(r.trace_sqrt, 0.5), 1e-15);
  EXPECT_EQ(r.rank1, 1);
  EXPECT_EQ(r.rank2, 1);
  EXPECT_EQ(r.min_eigenvalue, 0.0);         // A B^T is 2 x 2: fewer than D = 3 singular values
  EXPECT_EQ(r.min_eigenvalue_sigma1, 0.0);  // N1 - 1 < D
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[0],
            "N < D for set 1 (N = 2): covariance is singular (rank 1 < 3); used the exact "
            "nuclear-norm route");
  EXPECT_EQ(r.notes[1],
            "N < D for set 2 (N = 2): covariance is singular (rank 1 < 3); used the exact "
            "nuclear-norm route");

  // From the statistics the singular covariances go through the symmetric route, which says so.
  const FrechetResult from_stats =
      frechet_distance(compute_stats(x1.view()), compute_stats(x2.view()));
  EXPECT_EQ(from_stats.route, "symmetric-eigen");
  EXPECT_NEAR(from_stats.value, 1.5, 1e-7);
  EXPECT_EQ(from_stats.rank1, 1);
  EXPECT_EQ(from_stats.rank2, 1);
  ASSERT_FALSE(from_stats.notes.empty());
  EXPECT_NE(from_stats.notes[0].find("N < D for set 1 (N = 2): covariance is singular (rank 1 < "
                                     "3); the symmetric route"),
            std::string::npos)
      << from_stats.notes[0];
}

// T5 with pytorch-fid's retry regularisation: eps = 1e-6 inside the square root only gives
// ~1.49999000002; from features a positive eps takes the symmetric route. Sigma1 + eps I =
// u u^T + eps I and Sigma2 + eps I = v v^T + eps I (u = (1, 1, 0) / sqrt 2, v = (0, 1, -1) / sqrt
// 2) are positive definite, and their product maps w = u x v to eps^2 w: the smallest eigenvalue of
// M is eps^2 (the other two, in span(u, v), have product eps^2 (1 + eps)^2 and sum about 1/4).
TEST(FrechetClosedForm, T5WithEpsInsideTheSquareRootOnly) {
  const auto x1 = make_matrix(2, 3, {0, 0, 0, 1, 1, 0});
  const auto x2 = make_matrix(2, 3, {0, 1, 0, 0, 0, 1});
  FrechetOptions options;
  options.eps = 1e-6;
  for (const FrechetResult& r :
       {frechet_distance(x1.view(), x2.view(), options),
        frechet_distance(compute_stats(x1.view()), compute_stats(x2.view()), options)}) {
    EXPECT_EQ(r.route, "symmetric-eigen");
    EXPECT_NEAR(r.value, 1.49999000002, 1e-10);
    EXPECT_EQ(r.regularization, 1e-6);
    EXPECT_EQ(r.trace1, 1.0);  // traces not offset
    EXPECT_EQ(r.trace2, 1.0);
    EXPECT_NEAR(r.min_eigenvalue, 1e-12, 1e-16);
    EXPECT_EQ(r.rank1, 3);
    EXPECT_EQ(r.rank2, 3);
    EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));
    ASSERT_FALSE(r.notes.empty());
    EXPECT_EQ(r.notes[0],
              "regularised: eps = 1e-06 added to both covariances inside the square root (traces "
              "not offset)");
  }
}

// Sigma2 singular (rank 2 < 3) with Sigma1 positive definite: rank1 from Sigma1's Cholesky
// factor, rank2 from Sigma2's eigenvalues after its Cholesky factorisation fails. Sigma1 =
// [[2, 1, 0], [1, 2, 0], [0, 0, 1]], Sigma2 = diag(1, 1, 0): Sigma1 Sigma2 has eigenvalues 0, 1, 3,
// so t = 1 + sqrt 3 and FD = 5 + 2 - 2 (1 + sqrt 3) = 5 - 2 sqrt 3.
TEST(FrechetDiagnostics, SingularSigma2RankFromEigenvalues) {
  Eigen::MatrixXd s1 = Eigen::MatrixXd::Identity(3, 3);
  s1.topLeftCorner(2, 2) << 2, 1, 1, 2;
  const Eigen::MatrixXd s2 = Eigen::Vector3d(1, 1, 0).asDiagonal();
  const FrechetResult r = frechet_distance(stats_from(Eigen::Vector3d(1, 2, 3), s1, 5),
                                           stats_from(Eigen::Vector3d(1, 2, 3), s2, 5));
  EXPECT_LE(relative_error(r.value, 5.0 - 2.0 * std::sqrt(3.0)), 1e-14);
  EXPECT_LE(relative_error(r.trace_sqrt, 1.0 + std::sqrt(3.0)), 1e-15);
  EXPECT_EQ(r.rank1, 3);
  EXPECT_EQ(r.rank2, 2);
  EXPECT_NEAR(r.min_eigenvalue, 0.0, 1e-15);
  EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0],
            "set 2: covariance is rank-deficient (rank 2 < 3 with N = 5: constant or collinear "
            "features); the symmetric route may lose precision in its null space");
}

// dpotrf succeeds on Sigma1 = [[1, 1], [1, 1 + 2^-52]] (last pivot 2^-52 > 0), but that pivot is
// below numpy's rank tolerance (2 * DBL_EPSILON * max diagonal), and a pivot bounds the smallest
// eigenvalue (about 2^-53) from above: the rank is deficient, so the route takes the eigenvector
// factor and counts the rank from eigenvalues, as numpy.linalg.matrix_rank would (rank 1).
TEST(FrechetDiagnostics, TinyCholeskyPivotMeansRankDeficient) {
  Eigen::MatrixXd s1(2, 2);
  s1 << 1, 1, 1, 1 + std::ldexp(1.0, -52);
  const Eigen::MatrixXd s2 = Eigen::MatrixXd::Identity(2, 2);
  const FrechetResult r = frechet_distance(stats_from(Eigen::Vector2d(0, 0), s1, 5),
                                           stats_from(Eigen::Vector2d(0, 0), s2, 5));
  EXPECT_EQ(r.rank1, 1);
  EXPECT_EQ(r.rank2, 2);
  EXPECT_TRUE(std::isfinite(r.min_eigenvalue_sigma1));  // eigenvector route
  EXPECT_LE(std::abs(r.min_eigenvalue_sigma1), 1e-15);
  // t = sqrt(lambda_max) + sqrt(lambda_min): the null direction adds at most sqrt(4e-16) each way.
  EXPECT_NEAR(r.value, 4.0 - 2.0 * std::sqrt(2.0), 5e-8);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("set 1: covariance is rank-deficient (rank 1 < 2"), std::string::npos)
      << r.notes[0];
}

// Full rank: both ranks from Cholesky equal the eigenvalue count (numpy's matrix_rank), and M's
// smallest eigenvalue equals an independent D x D computation of Sigma1^1/2 Sigma2 Sigma1^1/2.
TEST(FrechetDiagnostics, FullRankFromCholeskyAgreesWithEigenvalues) {
  const GaussianStats a = compute_stats(mixed_features(400, 24, 11).view());
  const GaussianStats b = compute_stats(mixed_features(300, 24, 12).view());
  const FrechetResult r = frechet_distance(a, b);
  const Eigen::MatrixXd s1 = covariance(a), s2 = covariance(b);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e1(s1), e2(s2);
  EXPECT_EQ(r.rank1, 24);
  EXPECT_EQ(r.rank2, 24);
  EXPECT_GT(e1.eigenvalues()[0], 24 * DBL_EPSILON * e1.eigenvalues()[23]);
  EXPECT_GT(e2.eigenvalues()[0], 24 * DBL_EPSILON * e2.eigenvalues()[23]);
  const Eigen::MatrixXd root1 = e1.operatorSqrt();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> em(root1 * s2 * root1,
                                                          Eigen::EigenvaluesOnly);
  EXPECT_LE(relative_error(r.min_eigenvalue, em.eigenvalues()[0]), 1e-10);
  EXPECT_LE(relative_error(r.trace_sqrt, em.eigenvalues().cwiseSqrt().sum()), 1e-13);
  EXPECT_TRUE(std::isnan(r.min_eigenvalue_sigma1));
  EXPECT_TRUE(r.notes.empty());
}

// Diagnostics off: the same value, bit for bit, and only the costly fields left unknown: rank2
// when Sigma1 is positive definite (no Cholesky factorisation of Sigma2 is needed for the value),
// or when Sigma2 is singular; rank1 and min_eigenvalue come with the factorisations.
TEST(FrechetDiagnostics, OffKeepsTheValueAndSkipsOnlyWhatIsNotFree) {
  Eigen::MatrixXd s1(2, 2);
  s1 << 2, 1, 1, 2;
  const GaussianStats a = stats_from(Eigen::Vector2d(3, -1), s1, 5);
  const GaussianStats b = stats_from(Eigen::Vector2d(3, -1), Eigen::MatrixXd::Identity(2, 2), 5);
  FrechetOptions off;
  off.diagnostics = false;
  const FrechetResult full = frechet_distance(a, b);
  const FrechetResult fast = frechet_distance(a, b, off);
  EXPECT_EQ(fast.value, full.value);
  EXPECT_EQ(fast.rank1, 2);
  EXPECT_EQ(fast.rank2, -1);
  EXPECT_EQ(fast.min_eigenvalue, full.min_eigenvalue);
  EXPECT_NEAR(fast.min_eigenvalue, 1.0, 1e-15);
  EXPECT_TRUE(std::isnan(fast.min_eigenvalue_sigma1));
  EXPECT_TRUE(fast.notes.empty());

  // A singular Sigma1 needs its eigenvectors, which give rank1 and its smallest eigenvalue, and
  // forming M uses Sigma2's Cholesky factor, which gives rank2.
  Eigen::MatrixXd singular = Eigen::MatrixXd::Zero(3, 3);
  singular.topLeftCorner(2, 2) << 2, 1, 1, 2;
  const GaussianStats c = stats_from(Eigen::Vector3d(1, 2, 3), singular, 5);
  const GaussianStats eye3 =
      stats_from(Eigen::Vector3d(1, 2, 3), Eigen::MatrixXd::Identity(3, 3), 5);
  const FrechetResult r = frechet_distance(c, eye3, off);
  EXPECT_EQ(r.value, frechet_distance(c, eye3).value);
  EXPECT_LE(relative_error(r.value, 7.0 - 2.0 * (std::sqrt(3.0) + 1.0)), 1e-14);
  EXPECT_EQ(r.rank1, 2);
  EXPECT_EQ(r.rank2, 3);
  EXPECT_NEAR(r.min_eigenvalue, 0.0, 1e-15);
  EXPECT_NEAR(r.min_eigenvalue_sigma1, 0.0, 1e-15);

  // A singular Sigma2 would need its eigenvalues: not computed.
  const FrechetResult swapped = frechet_distance(eye3, c, off);
  EXPECT_EQ(swapped.rank1, 3);
  EXPECT_EQ(swapped.rank2, -1);
  EXPECT_EQ(swapped.value, frechet_distance(eye3, c).value);

  // Nuclear-norm route: the counts still bound the ranks in the notes.
  const auto x1 = make_matrix(2, 3, {0, 0, 0, 1, 1, 0});
  const auto x2 = make_matrix(2, 3, {0, 1, 0, 0, 0, 1});
  const FrechetResult nuclear = frechet_distance(x1.view(), x2.view(), off);
  EXPECT_EQ(nuclear.route, "nuclear-norm");
  EXPECT_LE(relative_error(nuclear.value, 1.5), 1e-15);
  EXPECT_EQ(nuclear.rank1, -1);
  EXPECT_EQ(nuclear.min_eigenvalue, 0.0);
  EXPECT_EQ(nuclear.min_eigenvalue_sigma1, 0.0);
  ASSERT_EQ(nuclear.notes.size(), 2u);
  EXPECT_EQ(nuclear.notes[0],
            "N < D for set 1 (N = 2): covariance is singular (rank <= 1 < 3); used the exact "
            "nuclear-norm route");
}

TEST(FrechetProperties, SymmetricInItsArguments) {
  const FeatureMatrix a = mixed_features(300, 20, 1);
  const FeatureMatrix b = mixed_features(200, 20, 2);
  const FeatureMatrix small = mixed_features(12, 20, 3);
  for (FrechetRoute r : {FrechetRoute::kSymmetricEigen, FrechetRoute::kNuclearNorm}) {
    const double ab = frechet_distance(a.view(), b.view(), route(r)).value;
    const double ba = frechet_distance(b.view(), a.view(), route(r)).value;
    EXPECT_LE(relative_error(ab, ba), 1e-12);
  }
  // Mixed nuclear-norm route: one set small (rows), one large (covariance factor).
  const double as = frechet_distance(a.view(), small.view()).value;
  const double sa = frechet_distance(small.view(), a.view()).value;
  EXPECT_LE(relative_error(as, sa), 1e-12);
}

TEST(FrechetProperties, InvariantUnderACommonTranslation) {
  const FeatureMatrix a = integer_features(120, 8, 4);
  const FeatureMatrix b = integer_features(90, 8, 5);
  FeatureMatrix a2 = a, b2 = b;
  for (std::int64_t j = 0; j < 8; ++j) {
    for (std::int64_t i = 0; i < a2.rows; ++i)
      a2.row(i)[j] += 1000.0f + 37.0f * j;
    for (std::int64_t i = 0; i < b2.rows; ++i)
      b2.row(i)[j] += 1000.0f + 37.0f * j;
  }
  for (FrechetRoute r : {FrechetRoute::kSymmetricEigen, FrechetRoute::kNuclearNorm}) {
    const double before = frechet_distance(a.view(), b.view(), route(r)).value;
    const double after = frechet_distance(a2.view(), b2.view(), route(r)).value;
    EXPECT_LE(relative_error(after, before), 1e-12);
  }
  // On statistics: shifting both means.
  GaussianStats sa = compute_stats(a.view()), sb = compute_stats(b.view());
  const double before = frechet_distance(sa, sb).value;
  sa.mean.array() -= 1e3;
  sb.mean.array() -= 1e3;
  EXPECT_LE(relative_error(frechet_distance(sa, sb).value, before), 1e-12);
}

TEST(FrechetProperties, IdenticalSetsGiveZero) {
  const FeatureMatrix a = mixed_features(400, 16, 6);
  for (FrechetRoute r : {FrechetRoute::kSymmetricEigen, FrechetRoute::kNuclearNorm}) {
    const FrechetResult res = frechet_distance(a.view(), a.view(), route(r));
    EXPECT_EQ(res.mean_term, 0.0);
    EXPECT_LE(std::abs(res.value), 1e-12 * (res.trace1 + res.trace2)) << res.route;
  }
}

TEST(FrechetProperties, SymmetricRouteEqualsNuclearNormOnFullRank) {
  const FeatureMatrix a = mixed_features(400, 24, 7);
  const FeatureMatrix b = mixed_features(300, 24, 8);
  const FrechetResult sym = frechet_distance(a.view(), b.view());
  const FrechetResult nuc = frechet_distance(a.view(), b.view(), route(FrechetRoute::kNuclearNorm));
  EXPECT_EQ(sym.route, "symmetric-eigen");
  EXPECT_EQ(nuc.route, "nuclear-norm");
  EXPECT_LE(relative_error(nuc.trace_sqrt, sym.trace_sqrt), 1e-12);
  EXPECT_LE(relative_error(nuc.value, sym.value), 1e-11);
  EXPECT_LE(relative_error(nuc.trace1, sym.trace1), 1e-13);
  EXPECT_LE(relative_error(nuc.trace2, sym.trace2), 1e-13);
  EXPECT_EQ(sym.rank1, 24);
  EXPECT_EQ(nuc.rank1, 24);
  // Smallest eigenvalue of M two ways: eigenvalues of U Sigma2 U^T, and the D-th singular value
  // of A B^T, squared.
  EXPECT_LE(relative_error(nuc.min_eigenvalue, sym.min_eigenvalue), 1e-10);
  // Sigma1's, on the nuclear-norm route from the centred features (N > D: the smallest singular
  // value squared), against its eigenvalues.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e1(covariance(compute_stats(a.view())),
                                                          Eigen::EigenvaluesOnly);
  EXPECT_LE(relative_error(nuc.min_eigenvalue_sigma1, e1.eigenvalues()[0]), 1e-10);
  EXPECT_TRUE(std::isnan(sym.min_eigenvalue_sigma1));
}

// One set with N < D, the other with N > D: the large set enters through its covariance factor
// (automatic) or its centred rows (forced); both are exact forms of the same nuclear norm.
TEST(FrechetProperties, MixedSizesAgreeAcrossFactorisations) {
  const FeatureMatrix small = mixed_features(30, 48, 9);
  const FeatureMatrix large = mixed_features(400, 48, 10);
  const FrechetResult automatic = frechet_distance(small.view(), large.view());
  const FrechetResult rows =
      frechet_distance(small.view(), large.view(), route(FrechetRoute::kNuclearNorm));
  EXPECT_EQ(automatic.route, "nuclear-norm");
  EXPECT_LE(relative_error(automatic.value, rows.value), 1e-12);
  EXPECT_EQ(automatic.rank1, 29);  // 30 centred rows
  EXPECT_EQ(automatic.rank2, 48);
  EXPECT_EQ(rows.rank2, 48);
  ASSERT_EQ(automatic.notes.size(), 2u);
  EXPECT_EQ(automatic.notes[0],
            "N < D for set 1 (N = 30): covariance is singular (rank 29 < 48); used the exact "
            "nuclear-norm route");
  EXPECT_EQ(automatic.notes[1],
            "set 2 (N = 400 > D) entered the nuclear-norm route through its covariance's "
            "square-root factor");
}

TEST(FrechetErrors, MessagesNameTheShapesAndValues) {
  const Eigen::MatrixXd eye2 = Eigen::MatrixXd::Identity(2, 2);
  const Eigen::MatrixXd eye3 = Eigen::MatrixXd::Identity(3, 3);
  const GaussianStats s2 = stats_from(Eigen::VectorXd::Zero(2), eye2);
  const GaussianStats s3 = stats_from(Eigen::VectorXd::Zero(3), eye3);
  EXPECT_THROW_WITH(frechet_distance(s2, s3), NumericalError,
                    "frechet_distance: dimension mismatch: set 1 has dimension 2, set 2 has "
                    "dimension 3");
  EXPECT_THROW_WITH(frechet_distance(s2, stats_from(Eigen::VectorXd::Zero(2), eye2, 1)),
                    NumericalError,
                    "frechet_distance: set 2 has 1 sample(s); the N-1 covariance needs at least 2");
  GaussianStats bad_mean = s2;
  bad_mean.mean[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW_WITH(frechet_distance(bad_mean, s2), NumericalError,
                    "frechet_distance: set 1 has a non-finite mean: mean[1] = nan");
  GaussianStats bad_scatter = s2;
  bad_scatter.scatter(0, 1) = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(frechet_distance(s2, bad_scatter), NumericalError,
                    "frechet_distance: set 2 has a non-finite scatter: scatter(0, 1) = inf");
  GaussianStats inconsistent = s3;
  inconsistent.mean.resize(2);
  inconsistent.mean.setZero();
  EXPECT_THROW_WITH(frechet_distance(inconsistent, s2), NumericalError,
                    "frechet_distance: set 1 statistics are inconsistent: mean has 2 entries, "
                    "scatter is 3 x 3");
  EXPECT_THROW_WITH(frechet_distance(s2, s2, route(FrechetRoute::kNuclearNorm)), NumericalError,
                    "frechet_distance: the nuclear-norm route needs the features, not statistics");
  FrechetOptions negative;
  negative.eps = -1.0;
  EXPECT_THROW_WITH(frechet_distance(s2, s2, negative), NumericalError,
                    "frechet_distance: eps must be finite and >= 0, got -1");

  const auto a = make_matrix(4, 2, {1, 2, 3, 1, 0, 0, 2, 5});
  const auto b = make_matrix(3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 0});
  EXPECT_THROW_WITH(frechet_distance(a.view(), b.view()), NumericalError,
                    "frechet_distance: dimension mismatch: set 1 is 4 x 2, set 2 is 3 x 3");
  const auto one = make_matrix(1, 2, {1, 2});
  EXPECT_THROW_WITH(frechet_distance(one.view(), a.view()), NumericalError,
                    "frechet_distance: set 1 has 1 row(s); the N-1 covariance needs at least 2");
  auto inf = make_matrix(5, 2, {1, 2, 3, 1, 0, 0, 2, 5, 1, 1});
  inf.row(1)[0] = std::numeric_limits<float>::infinity();
  // Same message whichever route reads the features first.
  EXPECT_THROW_WITH(frechet_distance(a.view(), inf.view()), NumericalError,
                    "frechet_distance: set 2: non-finite feature inf at row 1, column 0 of 5 x 2");
  EXPECT_THROW_WITH(frechet_distance(a.view(), inf.view(), route(FrechetRoute::kNuclearNorm)),
                    NumericalError,
                    "frechet_distance: set 2: non-finite feature inf at row 1, column 0 of 5 x 2");
  FrechetOptions eps_nuclear = route(FrechetRoute::kNuclearNorm);
  eps_nuclear.eps = 1e-6;
  EXPECT_THROW_WITH(frechet_distance(a.view(), a.view(), eps_nuclear), NumericalError,
                    "frechet_distance: eps = 1e-06 cannot be applied on the nuclear-norm route");
}

}  // namespace
}  // namespace gensweep::metrics
