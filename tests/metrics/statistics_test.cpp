#include "gensweep/metrics/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/linalg.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

FeatureMatrix make_matrix(std::int64_t rows, std::int64_t cols, std::vector<float> values) {
  FeatureMatrix m(rows, cols);
  m.values = std::move(values);
  return m;
}

// Gaussian features with per-column offsets and scales, so the mean is far from zero.
FeatureMatrix random_features(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  Rng rng(seed);
  FeatureMatrix m(rows, cols);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      m.row(i)[j] = static_cast<float>(3.0 + 0.5 * j + (1.0 + 0.1 * j) * rng.normal());
    }
  }
  return m;
}

// The definition, written out in the most direct way (long double, one row at a time).
GaussianStats reference_stats(const FeatureMatrix& x) {
  const std::int64_t d = x.cols;
  std::vector<long double> mean(d, 0.0L);
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t j = 0; j < d; ++j)
      mean[j] += x.row(i)[j];
  for (auto& m : mean)
    m /= static_cast<long double>(x.rows);
  std::vector<long double> scatter(d * d, 0.0L);
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t j = 0; j < d; ++j)
      for (std::int64_t k = 0; k < d; ++k)
        scatter[j * d + k] += (x.row(i)[j] - mean[j]) * (x.row(i)[k] - mean[k]);
  GaussianStats s;
  s.count = x.rows;
  s.mean.resize(d);
  s.scatter.resize(d, d);
  for (std::int64_t j = 0; j < d; ++j) {
    s.mean[j] = static_cast<double>(mean[j]);
    for (std::int64_t k = 0; k < d; ++k)
      s.scatter(j, k) = static_cast<double>(scatter[j * d + k]);
  }
  return s;
}

void expect_stats_near(const GaussianStats& actual, const GaussianStats& expected,
                       double relative) {
  ASSERT_EQ(actual.count, expected.count);
  ASSERT_EQ(actual.dim(), expected.dim());
  EXPECT_LE((actual.mean - expected.mean).norm(), relative * expected.mean.norm());
  EXPECT_LE((actual.scatter - expected.scatter).norm(), relative * expected.scatter.norm());
}

// METRICS.md T4: means and N-1 covariances in closed form.
TEST(ComputeStats, T4MeansAndUnbiasedCovariances) {
  const auto x1 = make_matrix(4, 2, {1, 2, 3, 1, 0, 0, 2, 5});
  const auto x2 = make_matrix(5, 2, {2, 2, 1, 0, 4, 3, 3, 3, 0, 1});
  const GaussianStats s1 = compute_stats(x1.view());
  const GaussianStats s2 = compute_stats(x2.view());
  EXPECT_EQ(s1.count, 4);
  EXPECT_EQ(s2.count, 5);
  EXPECT_NEAR(s1.mean[0], 1.5, 1e-15);
  EXPECT_NEAR(s1.mean[1], 2.0, 1e-15);
  EXPECT_NEAR(s2.mean[0], 2.0, 1e-15);
  EXPECT_NEAR(s2.mean[1], 1.8, 1e-15);
  const Eigen::MatrixXd c1 = covariance(s1);
  const Eigen::MatrixXd c2 = covariance(s2);
  EXPECT_NEAR(c1(0, 0), 5.0 / 3.0, 1e-14);
  EXPECT_NEAR(c1(0, 1), 1.0, 1e-14);
  EXPECT_NEAR(c1(1, 0), 1.0, 1e-14);
  EXPECT_NEAR(c1(1, 1), 14.0 / 3.0, 1e-14);
  EXPECT_NEAR(c2(0, 0), 2.5, 1e-14);
  EXPECT_NEAR(c2(0, 1), 1.75, 1e-14);
  EXPECT_NEAR(c2(1, 0), 1.75, 1e-14);
  EXPECT_NEAR(c2(1, 1), 1.7, 1e-14);
}

TEST(ComputeStats, MatchesTheDefinitionAcrossBlocks) {
  // 4000 rows of width 150: block_rows_for(150) = 3495 rows, so the scatter takes two dsyrk blocks.
  const FeatureMatrix x = random_features(4000, 150, 11);
  const GaussianStats s = compute_stats(x.view());
  expect_stats_near(s, reference_stats(x), 1e-13);
  // Both triangles hold the scatter.
  EXPECT_EQ((s.scatter - s.scatter.transpose()).cwiseAbs().maxCoeff(), 0.0);
}

// Centring before accumulating is what makes a large common offset harmless: values
// 4096 + k / 1024 (k a small integer) are exact in float32, the centred values are exact in
// float64, and the scatter is (sum of (k - mean k)^2) / 2^20 exactly. Raw moments (sum x x^T - N
// mu mu^T) would cancel about 1e7 against 1e7 and keep only a few digits.
TEST(ComputeStats, CentringKeepsALargeOffsetExact) {
  const std::vector<int> k = {0, 1, 2, 3, 4, 5, 6, 7};  // mean 3.5, sum of squares 42
  FeatureMatrix x(static_cast<std::int64_t>(k.size()), 1);
  for (std::size_t i = 0; i < k.size(); ++i)
    x.row(i)[0] = 4096.0f + k[i] / 1024.0f;
  const GaussianStats s = compute_stats(x.view());
  EXPECT_EQ(s.mean[0], 4096.0 + 3.5 / 1024.0);
  EXPECT_EQ(s.scatter(0, 0), 42.0 / 1048576.0);
}

TEST(ComputeStats, InvalidRowsAreSkipped) {
  const FeatureMatrix x = random_features(300, 7, 12);
  std::vector<std::uint8_t> valid(300);
  FeatureMatrix kept(0, 7);
  for (std::int64_t i = 0; i < 300; ++i) {
    valid[i] = (i % 3 != 1) ? 1 : 0;
    if (valid[i]) {
      kept.values.insert(kept.values.end(), x.row(i), x.row(i) + 7);
      ++kept.rows;
    }
  }
  const GaussianStats masked = compute_stats(x.view(), valid.data());
  EXPECT_EQ(masked.count, 200);
  expect_stats_near(masked, reference_stats(kept), 1e-13);
}

TEST(ComputeStats, NoRowsGivesZeroStatistics) {
  const FeatureMatrix x = random_features(5, 3, 13);
  const std::vector<std::uint8_t> none(5, 0);
  for (const GaussianStats& s :
       {compute_stats(x.view(), none.data()), compute_stats({x.values.data(), 0, 3})}) {
    EXPECT_EQ(s.count, 0);
    EXPECT_EQ(s.dim(), 3);
    EXPECT_TRUE(s.mean.isZero(0.0));
    EXPECT_TRUE(s.scatter.isZero(0.0));
  }
}

TEST(ComputeStats, NonFiniteFeatureNamesRowAndColumn) {
  auto x = make_matrix(4, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3});
  x.row(2)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW_WITH(compute_stats(x.view()), NumericalError,
                    "compute_stats: non-finite feature nan at row 2, column 1 of 4 x 3");
  x.row(2)[1] = 8;
  x.row(3)[0] = -std::numeric_limits<float>::infinity();
  EXPECT_THROW_WITH(compute_stats(x.view()), NumericalError,
                    "compute_stats: non-finite feature -inf at row 3, column 0 of 4 x 3");
  // A row left out by the mask is never read.
  const std::vector<std::uint8_t> valid = {1, 1, 1, 0};
  EXPECT_EQ(compute_stats(x.view(), valid.data()).count, 3);
}

TEST(MergeStats, SplitsMergeToTheWhole) {
  const FeatureMatrix x = random_features(1000, 16, 14);
  const GaussianStats whole = compute_stats(x.view());
  auto part = [&](std::int64_t begin, std::int64_t end) {
    return compute_stats({x.row(begin), end - begin, x.cols});
  };
  for (std::int64_t split : {0, 1, 2, 137, 500, 999, 1000}) {
    SCOPED_TRACE(split);
    expect_stats_near(merge_stats(part(0, split), part(split, 1000)), whole, 1e-12);
  }
  // Uneven shards merged as a tree and as a chain.
  const GaussianStats tree = merge_stats(merge_stats(part(0, 10), part(10, 400)),
                                         merge_stats(part(400, 401), part(401, 1000)));
  expect_stats_near(tree, whole, 1e-12);
  GaussianStats chain;
  for (std::int64_t begin = 0; begin < 1000; begin += 64)
    chain = merge_stats(chain, part(begin, std::min<std::int64_t>(begin + 64, 1000)));
  expect_stats_near(chain, whole, 1e-12);
}

TEST(MergeStats, EmptySidesAreNeutral) {
  const FeatureMatrix x = random_features(50, 4, 15);
  const GaussianStats s = compute_stats(x.view());
  const GaussianStats empty_with_dim = compute_stats({x.values.data(), 0, 4});
  for (const GaussianStats& empty : {GaussianStats{}, empty_with_dim}) {
    for (const GaussianStats& m : {merge_stats(empty, s), merge_stats(s, empty)}) {
      EXPECT_EQ(m.count, s.count);
      EXPECT_EQ(m.mean, s.mean);
      EXPECT_EQ(m.scatter, s.scatter);
    }
  }
  const GaussianStats both = merge_stats(GaussianStats{}, empty_with_dim);
  EXPECT_EQ(both.count, 0);
  EXPECT_EQ(both.dim(), 4);
}

TEST(MergeStats, DimensionMismatchThrows) {
  const GaussianStats a = compute_stats(random_features(5, 3, 16).view());
  const GaussianStats b = compute_stats(random_features(5, 4, 17).view());
  EXPECT_THROW_WITH(merge_stats(a, b), NumericalError, "merge_stats: dimension mismatch: 3 vs 4");
  GaussianStats broken = a;
  broken.scatter.resize(2, 2);
  EXPECT_THROW_WITH(merge_stats(broken, a), NumericalError,
                    "merge_stats: inconsistent statistics: count 5, mean has 3 entries, scatter "
                    "is 2 x 2");
}

TEST(Covariance, NeedsTwoSamples) {
  const GaussianStats one = compute_stats(make_matrix(1, 2, {1, 2}).view());
  EXPECT_THROW_WITH(covariance(one), NumericalError,
                    "covariance: needs at least 2 samples for the N-1 denominator, got 1");
}

TEST(Linalg, DecompositionsInClosedForm) {
  Eigen::MatrixXd a(2, 2);
  a << 2, 1, 1, 2;  // eigenvalues 1 and 3, eigenvectors (1, -1) / sqrt 2 and (1, 1) / sqrt 2
  Eigen::MatrixXd v = a;
  const Eigen::VectorXd w = linalg::symmetric_eigen(v, true, "test");
  EXPECT_NEAR(w[0], 1.0, 1e-15);
  EXPECT_NEAR(w[1], 3.0, 1e-15);
  EXPECT_NEAR(std::abs(v(0, 1)), std::sqrt(0.5), 1e-15);
  EXPECT_LE((a * v - v * w.asDiagonal()).norm(), 1e-14);

  Eigen::MatrixXd b(3, 2);
  b << 3, 0, 0, 4, 0, 0;  // singular values 4, 3
  const Eigen::VectorXd s = linalg::singular_values(b, "test");
  EXPECT_NEAR(s[0], 4.0, 1e-15);
  EXPECT_NEAR(s[1], 3.0, 1e-15);

  Eigen::MatrixXd spd(2, 2);
  spd << 4, 2, 2, 5;  // = U^T U with U = [[2, 1], [0, 2]]
  ASSERT_TRUE(linalg::cholesky_upper(spd, "test"));
  EXPECT_EQ(spd(0, 0), 2.0);
  EXPECT_EQ(spd(0, 1), 1.0);
  EXPECT_EQ(spd(1, 1), 2.0);
  Eigen::MatrixXd singular = Eigen::MatrixXd::Ones(2, 2);
  singular(1, 1) = 0.5;  // indefinite: the second pivot is 0.5 - 1 < 0
  EXPECT_FALSE(linalg::cholesky_upper(singular, "test"));

  // Lower factor: L = U^T; the strictly upper triangle is left alone.
  Eigen::MatrixXd lower(2, 2);
  lower << 4, -7, 2, 5;  // -7 sits in the strictly upper triangle, which dpotrf 'L' never reads
  ASSERT_TRUE(linalg::cholesky_lower(lower, "test"));
  EXPECT_EQ(lower(0, 0), 2.0);
  EXPECT_EQ(lower(1, 0), 1.0);
  EXPECT_EQ(lower(1, 1), 2.0);
  EXPECT_EQ(lower(0, 1), -7.0);

  // Congruence by U = [[2, 1], [0, 2]] (4, 2, 2, 5 = U^T U): U I U^T = [[5, 2], [2, 4]], upper
  // triangle only; the strictly lower one of the input is never read.
  Eigen::MatrixXd eye(2, 2);
  eye << 1, 0, 99, 1;
  linalg::cholesky_congruence(eye, spd, "test");
  EXPECT_EQ(eye(0, 0), 5.0);
  EXPECT_EQ(eye(0, 1), 2.0);
  EXPECT_EQ(eye(1, 1), 4.0);

  Eigen::VectorXd values(4);
  values << 1.0, 1e-3, 1e-14, -1e-15;  // tolerance 10 * 2.2e-16 * 1 = 2.2e-15
  EXPECT_EQ(linalg::numerical_rank(values, 10), 3);
  EXPECT_EQ(linalg::numerical_rank(Eigen::VectorXd::Zero(3), 3), 0);
}

}  // namespace
}  // namespace gensweep::metrics
