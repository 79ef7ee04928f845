// GMM-GIQA properties: closed-form log-densities, the seeded fit's determinism (same seed, any
// thread count: the same bits), EM's monotone likelihood, recovery of well-separated clusters,
// PCA's component count (sklearn's strict '>'), QS/DS plumbing, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/gmm.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

// N rows in D dims from K isotropic Gaussians (sigma) around means spaced `spacing` apart along
// the diagonal directions; labels receive each row's component.
FeatureMatrix clusters(std::int64_t n, std::int64_t d, const std::vector<double>& weights,
                       double spacing, double sigma, std::uint64_t seed,
                       std::vector<std::int64_t>* labels = nullptr) {
  Rng rng(seed);
  FeatureMatrix x(n, d);
  for (std::int64_t i = 0; i < n; ++i) {
    const double u = rng.uniform();
    std::int64_t k = 0;
    double acc = weights[0];
    while (u >= acc && k + 1 < static_cast<std::int64_t>(weights.size()))
      acc += weights[++k];
    if (labels != nullptr) labels->push_back(k);
    for (std::int64_t j = 0; j < d; ++j) {
      const double centre = spacing * static_cast<double>(k) * ((j + k) % 2 == 0 ? 1.0 : -1.0);
      x.row(i)[j] = static_cast<float>(centre + sigma * rng.normal());
    }
  }
  return x;
}

void expect_bitwise_equal(const GaussianMixture& a, const GaussianMixture& b) {
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.means, b.means);
  EXPECT_EQ(a.covariances, b.covariances);
  EXPECT_EQ(a.precisions_cholesky, b.precisions_cholesky);
  EXPECT_EQ(a.lower_bounds, b.lower_bounds);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.converged, b.converged);
  EXPECT_EQ(a.lower_bound, b.lower_bound);
  EXPECT_EQ(a.kmeans_iterations, b.kmeans_iterations);
}

// ---- scoring: closed forms ----

TEST(GmmScore, SingleGaussianClosedForm) {
  // Sigma = [[4, 2], [2, 3]]: det 8, inverse [[3, -2], [-2, 4]] / 8.
  const GaussianMixture m = gmm_from_parameters(1, 2, {1.0}, {1.0, -1.0}, {4, 2, 2, 3});
  const std::vector<float> x = {1.0f, -1.0f, 3.0f, 0.0f};
  const std::vector<double> s = gmm_score_samples(m, FeatureView{x.data(), 2, 2});
  const double base = -std::log(2 * std::numbers::pi) - 0.5 * std::log(8.0);
  EXPECT_NEAR(s[0], base, 1e-14);
  // x - mu = (2, 1): quadratic form (3*4 - 2*2*2*1 + 4*1) / 8 = 1.
  EXPECT_NEAR(s[1], base - 0.5 * 1.0, 1e-14);
  // P P^T = Sigma^-1 and P upper triangular, row-major.
  const auto& p = m.precisions_cholesky;
  EXPECT_EQ(p[2], 0.0);
  EXPECT_NEAR(p[0] * p[0] + p[1] * p[1], 3.0 / 8, 1e-15);
  EXPECT_NEAR(p[1] * p[3], -2.0 / 8, 1e-15);
  EXPECT_NEAR(p[3] * p[3], 4.0 / 8, 1e-15);
}

TEST(GmmScore, MixtureIsLogOfWeightedSum) {
  // Two 1-D components: 0.25 N(0, 1) + 0.75 N(3, 4).
  const GaussianMixture m = gmm_from_parameters(2, 1, {0.25, 0.75}, {0.0, 3.0}, {1.0, 4.0});
  const std::vector<float> x = {0.0f, 1.5f, 3.0f, -40.0f};
  const std::vector<double> s = gmm_score_samples(m, FeatureView{x.data(), 4, 1});
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double p1 = std::exp(-0.5 * v * v) / std::sqrt(2 * std::numbers::pi);
    const double p2 = std::exp(-0.5 * (v - 3) * (v - 3) / 4) / std::sqrt(2 * std::numbers::pi * 4);
    const double expected = std::log(0.25 * p1 + 0.75 * p2);
    if (i < 3) {
      EXPECT_NEAR(s[i], expected, 1e-14 * std::abs(expected) + 1e-15) << i;
    } else {
      // Far in the tail the component densities underflow to 0: logsumexp keeps the value.
      EXPECT_NEAR(s[i], std::log(0.75) - 0.5 * std::log(2 * std::numbers::pi * 4) - 43.0 * 43 / 8,
                  1e-12 * 231.0);
    }
  }
}

// ---- the seeded fit ----

TEST(GmmFit, SameSeedSameBitsForAnyThreadCount) {
  const FeatureMatrix x = clusters(3000, 8, {0.5, 0.3, 0.2}, 1.5, 1.0, 7);
  GmmOptions o;
  o.components = 4;
  o.seed = 11;
  const GaussianMixture a = fit_gmm(x.view(), o);
  const GaussianMixture b = fit_gmm(x.view(), o);
  expect_bitwise_equal(a, b);
  for (int threads : {2, 3, 8}) {
    o.threads = threads;
    expect_bitwise_equal(a, fit_gmm(x.view(), o));
  }
  EXPECT_EQ(a.seed, 11u);
  EXPECT_GE(a.iterations, 2);
  // The float64 entry point on the same values gives the same bits.
  std::vector<double> wide(x.values.begin(), x.values.end());
  o.threads = 2;
  expect_bitwise_equal(a, fit_gmm(DoubleView{wide.data(), x.rows, x.cols}, o));
  // Another seed starts elsewhere (k-means++ draws differ), and is as reproducible.
  o.seed = 12;
  const GaussianMixture c = fit_gmm(x.view(), o);
  expect_bitwise_equal(c, fit_gmm(x.view(), o));
}

TEST(GmmFit, LikelihoodIsMonotoneOverEmIterations) {
  const FeatureMatrix x = clusters(4000, 6, {0.4, 0.35, 0.25}, 1.0, 1.0, 3);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    GmmOptions o;
    o.components = 5;  // more components than clusters: many slow iterations
    o.seed = seed;
    o.tol = 1e-9;
    o.max_iter = 200;
    const GaussianMixture m = fit_gmm(x.view(), o);
    ASSERT_GE(m.lower_bounds.size(), 10u) << "seed " << seed;
    ASSERT_EQ(m.lower_bounds.back(), m.lower_bound);
    for (std::size_t i = 1; i < m.lower_bounds.size(); ++i) {
      EXPECT_GE(m.lower_bounds[i], m.lower_bounds[i - 1])
          << "seed " << seed << ", iteration " << i + 1;
    }
    // The lower bound is the likelihood of the parameters before the last M-step; the final
    // parameters are at least as likely.
    const std::vector<double> s = gmm_score_samples(m, x.view());
    double mean = 0;
    for (double v : s)
      mean += v;
    mean /= static_cast<double>(s.size());
    EXPECT_GE(mean, m.lower_bound);
  }
}

TEST(GmmFit, RecoversWellSeparatedClusters) {
  // Clusters 40 sigma apart: every responsibility is 0 or 1 to double precision, so the fit must
  // reproduce exactly the empirical weights, means and (population) covariances of the clusters.
  const std::vector<double> weights = {0.5, 0.3, 0.2};
  const std::int64_t n = 6000, d = 4, k = 3;
  std::vector<std::int64_t> labels;
  const FeatureMatrix x = clusters(n, d, weights, 40.0, 1.0, 5, &labels);
  std::vector<double> count(k, 0.0), mean(k * d, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    count[labels[i]] += 1;
    for (std::int64_t j = 0; j < d; ++j)
      mean[labels[i] * d + j] += x.row(i)[j];
  }
  for (std::int64_t c = 0; c < k; ++c) {
    for (std::int64_t j = 0; j < d; ++j)
      mean[c * d + j] /= count[c];
  }
  for (std::uint64_t seed : {0u, 1u, 2u, 3u}) {
    GmmOptions o;
    o.components = k;
    o.seed = seed;
    const GaussianMixture m = fit_gmm(x.view(), o);
    EXPECT_TRUE(m.converged);
    for (std::int64_t c = 0; c < k; ++c) {
      // The fitted component nearest to cluster c.
      std::int64_t best = 0;
      double best_d = std::numeric_limits<double>::infinity();
      for (std::int64_t f = 0; f < k; ++f) {
        double s = 0;
        for (std::int64_t j = 0; j < d; ++j)
          s += std::pow(m.means[f * d + j] - mean[c * d + j], 2);
        if (s < best_d) {
          best_d = s;
          best = f;
        }
      }
      EXPECT_NEAR(m.weights[best], count[c] / n, 1e-12) << "seed " << seed << " cluster " << c;
      EXPECT_NEAR(m.weights[best], weights[c], 0.02) << "generating weight, cluster " << c;
      for (std::int64_t j = 0; j < d; ++j) {
        EXPECT_NEAR(m.means[best * d + j], mean[c * d + j], 1e-9)
            << "seed " << seed << " cluster " << c;
        EXPECT_NEAR(m.means[best * d + j], 40.0 * c * ((j + c) % 2 == 0 ? 1 : -1), 0.1);
      }
      for (std::int64_t j = 0; j < d; ++j)
        EXPECT_NEAR(m.covariances[best * d * d + j * d + j], 1.0, 0.1);
    }
  }
}

// ---- PCA ----

// 9 rows whose covariance (N - 1 = 8) is exactly diag(2, 1, 1): ratios 0.5, 0.25, 0.25.
FeatureMatrix axis_rows() {
  FeatureMatrix x(9, 3);
  const float rows[9][3] = {{2, 0, 0},  {-2, 0, 0}, {2, 0, 0},  {-2, 0, 0}, {0, 2, 0},
                            {0, -2, 0}, {0, 0, 2},  {0, 0, -2}, {0, 0, 0}};
  for (int i = 0; i < 9; ++i)
    std::copy(rows[i], rows[i] + 3, x.row(i));
  return x;
}

TEST(Pca, KeepsTheSmallestCountWhoseRatioExceedsTheFraction) {
  const FeatureMatrix x = axis_rows();
  EXPECT_EQ(fit_pca(x.view(), 0.4999).dim_out, 1);
  EXPECT_EQ(fit_pca(x.view(), 0.5).dim_out, 2);  // strictly greater, as sklearn's searchsorted
  EXPECT_EQ(fit_pca(x.view(), 0.7).dim_out, 2);
  EXPECT_EQ(fit_pca(x.view(), 0.75).dim_out, 3);
  EXPECT_EQ(fit_pca(x.view(), 1.0).dim_out, 3);
  const Pca p = fit_pca(x.view(), 0.4);
  EXPECT_EQ(p.explained_variance_ratio, std::vector<double>{0.5});
  EXPECT_NEAR(p.components[0], 1.0, 1e-15);  // +e1: the largest entry is positive
  EXPECT_NEAR(std::abs(p.components[1]) + std::abs(p.components[2]), 0.0, 1e-15);
  const FeatureMatrix y = pca_transform(p, x.view());
  ASSERT_EQ(y.cols, 1);
  EXPECT_EQ(y.values[0], 2.0f);
  EXPECT_EQ(y.values[1], -2.0f);
  EXPECT_EQ(y.values[4], 0.0f);
}

TEST(Pca, AllComponentsPreserveDistances) {
  const FeatureMatrix x = clusters(200, 5, {0.5, 0.5}, 2.0, 1.0, 9);
  const Pca p = fit_pca(x.view(), 1.0);
  ASSERT_EQ(p.dim_out, 5);
  double total = 0;
  for (double r : p.explained_variance_ratio)
    total += r;
  EXPECT_NEAR(total, 1.0, 1e-14);
  for (std::size_t c = 1; c < p.explained_variance_ratio.size(); ++c)
    EXPECT_LE(p.explained_variance_ratio[c], p.explained_variance_ratio[c - 1]);
  const std::vector<double> y = pca_transform_f64(p, x.view());
  for (std::int64_t a = 0; a < 20; ++a) {
    const std::int64_t b = a + 100;
    double dx = 0, dy = 0;
    for (std::int64_t j = 0; j < 5; ++j) {
      dx += std::pow(double{x.row(a)[j]} - x.row(b)[j], 2);
      dy += std::pow(y[a * 5 + j] - y[b * 5 + j], 2);
    }
    EXPECT_NEAR(dy, dx, 1e-12 * dx);
  }
}

// ---- GIQA ----

TEST(GiqaGmm, ScoresAreTheReferenceModelsLogDensities) {
  const FeatureMatrix real = clusters(1500, 12, {0.6, 0.4}, 1.0, 1.0, 21);
  const FeatureMatrix fake = clusters(800, 12, {0.3, 0.7}, 1.2, 1.3, 22);
  GiqaGmmOptions o;
  o.gmm.components = 3;
  o.gmm.seed = 4;
  o.pca_fraction = 0.9;
  const GiqaGmmResult r = giqa_gmm(real.view(), fake.view(), o, true);
  ASSERT_GT(r.pca_dim, 0);
  ASSERT_LT(r.pca_dim, 12);
  EXPECT_EQ(r.reference_model.dim, r.pca_dim);
  const std::vector<double> ev = pca_transform_f64(r.pca, fake.view());
  const std::vector<double> ref = pca_transform_f64(r.pca, real.view());
  EXPECT_EQ(r.scores, gmm_score_samples(r.reference_model, DoubleView{ev.data(), 800, r.pca_dim}));
  double qs = 0;
  for (double s : r.scores)
    qs += s;
  EXPECT_EQ(r.quality_score, qs / 800);
  const std::vector<double> back =
      gmm_score_samples(r.evaluated_model, DoubleView{ref.data(), 1500, r.pca_dim});
  double ds = 0;
  for (double s : back)
    ds += s;
  EXPECT_EQ(r.diversity_score, ds / 1500);
  // Without the diversity score, DS is NaN and the rest is unchanged.
  const GiqaGmmResult q = giqa_gmm(real.view(), fake.view(), o, false);
  EXPECT_TRUE(std::isnan(q.diversity_score));
  EXPECT_EQ(q.scores, r.scores);
}

TEST(GiqaGmm, IdenticalSetsGiveEqualQualityAndDiversity) {
  const FeatureMatrix real = clusters(1000, 6, {0.5, 0.5}, 3.0, 1.0, 31);
  GiqaGmmOptions o;
  o.gmm.components = 2;
  const GiqaGmmResult r = giqa_gmm(real.view(), real.view(), o, true);
  EXPECT_EQ(r.pca_dim, 0);
  expect_bitwise_equal(r.reference_model, r.evaluated_model);
  EXPECT_EQ(r.quality_score, r.diversity_score);
}

// ---- errors ----

TEST(GmmErrors, BadInputsAndOptions) {
  const FeatureMatrix x = clusters(10, 3, {1.0}, 0.0, 1.0, 1);
  GmmOptions o;
  o.components = 11;
  EXPECT_THROW_WITH(fit_gmm(x.view(), o), DataError,
                    "gmm: 10 rows to fit are fewer than the 11 components");
  o.components = 0;
  EXPECT_THROW_WITH(fit_gmm(x.view(), o), DataError, "gmm: components must be at least 1");
  o = {};
  o.components = 2;
  o.reg_covar = -1;
  EXPECT_THROW_WITH(fit_gmm(x.view(), o), DataError, "reg_covar must be finite and non-negative");
  o.reg_covar = 1e-6;
  o.threads = 0;
  EXPECT_THROW_WITH(fit_gmm(x.view(), o), DataError, "threads must be at least 1");
  o.threads = 1;
  FeatureMatrix bad = x;
  bad.row(4)[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW_WITH(fit_gmm(bad.view(), o), NumericalError,
                    "gmm: the rows to fit has a non-finite value at row 4, column 2");
  const GaussianMixture m = fit_gmm(x.view(), o);
  EXPECT_THROW_WITH(gmm_score_samples(m, bad.view()), NumericalError,
                    "gmm: the rows to score has a non-finite value at row 4, column 2");
  const FeatureMatrix wide = clusters(10, 4, {1.0}, 0.0, 1.0, 1);
  EXPECT_THROW_WITH(gmm_score_samples(m, wide.view()), DataError,
                    "gmm: the rows to score have 4 columns, the mixture has dimension 3");
  GiqaGmmOptions g;
  g.gmm.components = 2;
  EXPECT_THROW_WITH(giqa_gmm(x.view(), wide.view(), g, false), DataError,
                    "giqa-gmm: dimension mismatch: reference is 10 x 3, evaluated is 10 x 4");
  for (double f : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    g.pca_fraction = f;
    EXPECT_THROW_WITH(giqa_gmm(x.view(), x.view(), g, false), DataError,
                      "giqa-gmm: pca_fraction must be in (0, 1]");
    if (!(f == 0)) {
      EXPECT_THROW_WITH(fit_pca(x.view(), f), DataError,
                        "pca: the variance fraction must be in (0, 1]");
    }
  }
  EXPECT_THROW_WITH(fit_pca(x.view(), 0.0), DataError, "pca: the variance fraction");
  g.pca_fraction = 0;
  g.gmm.components = 5;
  const FeatureMatrix few = clusters(4, 3, {1.0}, 0.0, 1.0, 2);
  EXPECT_THROW_WITH(giqa_gmm(x.view(), few.view(), g, true), DataError,
                    "giqa-gmm: the diversity score fits 5 components on the evaluated rows, but "
                    "there are only 4");
}

TEST(GmmErrors, CovarianceNotPositiveDefiniteNamesTheComponent) {
  // A cluster of rows exactly at the origin: with reg_covar = 0 its covariance is exactly zero
  // (its mean, 0 / (4 + 10 eps), is exactly 0).
  FeatureMatrix x(8, 2);
  for (std::int64_t i = 0; i < 8; ++i) {
    x.row(i)[0] = i < 4 ? 0.0f : 10.0f + static_cast<float>(i);
    x.row(i)[1] = i < 4 ? 0.0f : -3.0f * static_cast<float>(i % 3);
  }
  GmmOptions o;
  o.components = 2;
  o.reg_covar = 0;
  try {
    fit_gmm(x.view(), o);
    ADD_FAILURE() << "expected a NumericalError";
  } catch (const NumericalError& e) {
    const std::string what = e.what();
    // The component at the origin, whichever index k-means gave it.
    EXPECT_TRUE(what.starts_with("gmm: the covariance of component 0 is not positive definite") ||
                what.starts_with("gmm: the covariance of component 1 is not positive definite"))
        << what;
    EXPECT_NE(what.find("even with reg_covar added: it holds 4 effective rows in 2 dimensions"),
              std::string::npos)
        << what;
  }
  o.reg_covar = 1e-6;  // the default makes the same data fit
  const GaussianMixture m = fit_gmm(x.view(), o);
  EXPECT_NEAR(m.weights[0], 0.5, 1e-12);
  EXPECT_THROW_WITH(gmm_from_parameters(2, 1, {0.5, 0.5}, {0, 1}, {1.0, -2.0}), NumericalError,
                    "gmm: the covariance of component 1 is not positive definite");
  EXPECT_THROW_WITH(gmm_from_parameters(2, 1, {0.5}, {0, 1}, {1.0, 2.0}), DataError,
                    "need 2 weights, 2 means and 2 covariance entries; got 1, 2 and 2");
  EXPECT_THROW_WITH(gmm_from_parameters(2, 1, {0.5, 0.0}, {0, 1}, {1.0, 2.0}), NumericalError,
                    "the weight of component 1 must be positive");
}

}  // namespace
}  // namespace gensweep::metrics
