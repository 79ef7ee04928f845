// KID: the closed forms of METRICS.md §13 (T6, T6b), properties (subset = N equals the full
// MMD^2_u, symmetry, determinism), torch-fidelity's full-set values on the golden cases
// (tests/data/golden, 1e-10 relative) and clear errors for bad parameters.
#include "gensweep/metrics/kid.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/bootstrap.h"
#include "golden_data.h"
#include "metric_test_util.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

using namespace ::gensweep::testing;

// T6: X = [[1,0],[0,1],[1,1]], Y = [[2,0],[0,0],[1,2]], k = (x.y / 2 + 1)^3.
const FeatureMatrix kX = matrix(3, 2, {1, 0, 0, 1, 1, 1});
const FeatureMatrix kY = matrix(3, 2, {2, 0, 0, 0, 1, 2});
constexpr double kT6 = -163.0 / 36.0;  // -4.527777777777778
constexpr double kT6b = -1.5555555555555554;

TEST(Kid, ClosedFormT6) {
  EXPECT_LE(relative_error(mmd2_unbiased_polynomial(kX.view(), kY.view(), 3, 0, 1), kT6), 1e-12);
  // gamma given explicitly as 1 / D.
  EXPECT_LE(relative_error(mmd2_unbiased_polynomial(kX.view(), kY.view(), 3, 0.5, 1), kT6), 1e-12);
}

TEST(Kid, SetAgainstItselfIsNotZeroT6b) {
  EXPECT_LE(relative_error(mmd2_unbiased_polynomial(kX.view(), kX.view(), 3, 0, 1), kT6b), 1e-12);
}

TEST(Kid, SubsetOfSizeNEqualsFullEstimate) {
  KidOptions options;
  options.subsets = 5;
  options.subset_size = 3;
  const KidResult r = kernel_inception_distance(kY.view(), kX.view(), options);
  EXPECT_FALSE(r.full);
  EXPECT_EQ(r.subsets, 5);
  EXPECT_EQ(r.subset_size, 3);
  ASSERT_EQ(r.per_subset.size(), 5u);
  for (double v : r.per_subset)
    EXPECT_LE(relative_error(v, kT6), 1e-12);
  EXPECT_LE(relative_error(r.mean, kT6), 1e-12);
  EXPECT_LE(r.std, 1e-12);
  EXPECT_TRUE(std::isnan(r.ci_low));
  EXPECT_TRUE(std::isnan(r.ci_high));

  KidOptions full;
  full.full = true;
  const KidResult f = kernel_inception_distance(kY.view(), kX.view(), full);
  EXPECT_TRUE(f.full);
  EXPECT_EQ(f.std, 0.0);
  EXPECT_LE(relative_error(f.mean, kT6), 1e-12);
}

TEST(Kid, SymmetricInItsArguments) {
  const FeatureMatrix a = gaussian(300, 16, 1, 0.0), b = gaussian(250, 16, 2, 0.3);
  const double ab = mmd2_unbiased_polynomial(a.view(), b.view(), 3, 0, 1);
  const double ba = mmd2_unbiased_polynomial(b.view(), a.view(), 3, 0, 1);
  EXPECT_LE(relative_error(ab, ba), 1e-12);
  KidOptions full;
  full.full = true;
  EXPECT_LE(relative_error(kernel_inception_distance(a.view(), b.view(), full).mean,
                           kernel_inception_distance(b.view(), a.view(), full).mean),
            1e-12);
}

// Many Gram tiles (3 x 3 blocks of at most 1024 rows) against a brute-force double loop.
TEST(Kid, BlockedSumsMatchBruteForce) {
  const FeatureMatrix a = gaussian(2100, 5, 3, 0.0), b = gaussian(1100, 5, 4, 0.2);
  auto k = [](const float* x, const float* y) {
    double dot = 0;
    for (int j = 0; j < 5; ++j)
      dot += static_cast<double>(x[j]) * static_cast<double>(y[j]);
    const double base = dot * 0.2 + 1.0;
    return base * base * base;
  };
  double xx = 0, yy = 0, xy = 0;
  for (std::int64_t i = 0; i < a.rows; ++i)
    for (std::int64_t j = 0; j < a.rows; ++j)
      if (i != j) xx += k(a.row(i), a.row(j));
  for (std::int64_t i = 0; i < b.rows; ++i)
    for (std::int64_t j = 0; j < b.rows; ++j)
      if (i != j) yy += k(b.row(i), b.row(j));
  for (std::int64_t i = 0; i < a.rows; ++i)
    for (std::int64_t j = 0; j < b.rows; ++j)
      xy += k(a.row(i), b.row(j));
  const double m = 2100, n = 1100;
  const double expected = xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n);
  EXPECT_LE(relative_error(mmd2_unbiased_polynomial(a.view(), b.view(), 3, 0, 1), expected), 1e-9);
}

TEST(Kid, SeededAndReproducible) {
  const FeatureMatrix a = gaussian(200, 8, 5, 0.0), b = gaussian(180, 8, 6, 0.5);
  KidOptions options;
  options.subsets = 20;
  options.subset_size = 50;
  options.seed = 7;
  const KidResult r1 = kernel_inception_distance(a.view(), b.view(), options);
  const KidResult r2 = kernel_inception_distance(a.view(), b.view(), options);
  EXPECT_EQ(r1.per_subset, r2.per_subset);
  EXPECT_EQ(r1.mean, r2.mean);
  options.seed = 8;
  const KidResult r3 = kernel_inception_distance(a.view(), b.view(), options);
  EXPECT_NE(r1.per_subset, r3.per_subset);
  // The population std (ddof 0) of the per-subset values.
  double mean = 0;
  for (double v : r1.per_subset)
    mean += v;
  mean /= 20;
  double sq = 0;
  for (double v : r1.per_subset)
    sq += (v - mean) * (v - mean);
  EXPECT_LE(relative_error(r1.std, std::sqrt(sq / 20)), 1e-12);
}

// Subset draws: stream Rng(seed, s), first m of a Fisher-Yates shuffle of the evaluated rows, then
// of the reference rows (kid.h). Recomputing subset 0 from explicit subsets checks that contract.
TEST(Kid, SubsetsFollowTheDocumentedSampler) {
  const FeatureMatrix ref = gaussian(40, 3, 9, 0.0), ev = gaussian(30, 3, 10, 0.4);
  KidOptions options;
  options.subsets = 3;
  options.subset_size = 10;
  options.seed = 11;
  const KidResult r = kernel_inception_distance(ref.view(), ev.view(), options);
  for (std::int64_t s = 0; s < 3; ++s) {
    Rng rng(11, static_cast<std::uint64_t>(s));
    auto draw = [&](std::int64_t n) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        order[i] = i;
      for (std::int64_t i = 0; i < 10; ++i)
        std::swap(order[i], order[i + static_cast<std::int64_t>(rng.below(n - i))]);
      order.resize(10);
      return order;
    };
    const auto ix = draw(30), iy = draw(40);
    FeatureMatrix x(10, 3), y(10, 3);
    for (int k = 0; k < 10; ++k) {
      std::copy(ev.row(ix[k]), ev.row(ix[k]) + 3, x.row(k));
      std::copy(ref.row(iy[k]), ref.row(iy[k]) + 3, y.row(k));
    }
    EXPECT_LE(
        relative_error(r.per_subset[s], mmd2_unbiased_polynomial(x.view(), y.view(), 3, 0, 1)),
        1e-12);
  }
}

// The one-pass weighted bootstrap of the full estimate equals a brute-force evaluation on each
// explicitly resampled pair of sets (resample b: Rng(seed, 2^32 + b), evaluated rows then
// reference rows, with replacement), over pairs of draws of two different original rows within a
// set (kid.h) and every pair across sets.
TEST(Kid, FullBootstrapEqualsExplicitResampling) {
  const FeatureMatrix ref = gaussian(60, 4, 12, 0.0), ev = gaussian(45, 4, 13, 0.5);
  KidOptions options;
  options.full = true;
  options.bootstrap = 40;
  options.confidence = 0.9;
  options.seed = 3;
  const KidResult r = kernel_inception_distance(ref.view(), ev.view(), options);
  auto k = [](const float* x, const float* y) {
    double dot = 0;
    for (int j = 0; j < 4; ++j)
      dot += static_cast<double>(x[j]) * static_cast<double>(y[j]);
    const double base = dot * 0.25 + 1.0;
    return base * base * base;
  };
  auto within = [&](const FeatureMatrix& m, const std::vector<std::int64_t>& draws) {
    double sum = 0, pairs = 0;
    for (std::int64_t p : draws)
      for (std::int64_t q : draws)
        if (p != q) {
          sum += k(m.row(p), m.row(q));
          pairs += 1;
        }
    return sum / pairs;
  };
  std::vector<double> values;
  for (std::uint64_t b = 0; b < 40; ++b) {
    Rng rng(3, (std::uint64_t{1} << 32) + b);
    std::vector<std::int64_t> dx, dy;
    for (int n = 0; n < 45; ++n)
      dx.push_back(static_cast<std::int64_t>(rng.below(45)));
    for (int n = 0; n < 60; ++n)
      dy.push_back(static_cast<std::int64_t>(rng.below(60)));
    double cross = 0;
    for (std::int64_t p : dx)
      for (std::int64_t q : dy)
        cross += k(ev.row(p), ref.row(q));
    values.push_back(within(ev, dx) + within(ref, dy) - 2 * cross / (45.0 * 60.0));
  }
  const auto [low, high] = percentile_interval(values, 0.9);
  EXPECT_LE(relative_error(r.ci_low, low), 1e-10) << r.ci_low << " vs " << low;
  EXPECT_LE(relative_error(r.ci_high, high), 1e-10) << r.ci_high << " vs " << high;
  EXPECT_LT(r.ci_low, r.ci_high);
  // The point estimate is the plain full estimate.
  EXPECT_EQ(r.mean, mmd2_unbiased_polynomial(ev.view(), ref.view(), 3, 0, 1));
}

// Resampling over pairs of different rows leaves MMD^2_u centred: the interval contains the
// estimate.
TEST(Kid, FullBootstrapIntervalContainsTheEstimate) {
  const FeatureMatrix ref = gaussian(400, 16, 16, 0.0), ev = gaussian(400, 16, 17, 0.2);
  KidOptions options;
  options.full = true;
  options.bootstrap = 200;
  const KidResult r = kernel_inception_distance(ref.view(), ev.view(), options);
  EXPECT_LT(r.ci_low, r.mean);
  EXPECT_GT(r.ci_high, r.mean);
}

TEST(Kid, SubsetBootstrapResamplesTheSubsetEstimates) {
  const FeatureMatrix ref = gaussian(100, 4, 14, 0.0), ev = gaussian(100, 4, 15, 0.5);
  KidOptions options;
  options.subsets = 30;
  options.subset_size = 20;
  options.bootstrap = 200;
  const KidResult r = kernel_inception_distance(ref.view(), ev.view(), options);
  std::vector<double> means;
  for (std::uint64_t b = 0; b < 200; ++b) {
    Rng rng(0, (std::uint64_t{1} << 32) + b);
    double sum = 0;
    for (int k = 0; k < 30; ++k)
      sum += r.per_subset[rng.below(30)];
    means.push_back(sum / 30);
  }
  const auto [low, high] = percentile_interval(means, 0.95);
  EXPECT_EQ(r.ci_low, low);
  EXPECT_EQ(r.ci_high, high);
  EXPECT_LE(r.ci_low, r.mean);
  EXPECT_GE(r.ci_high, r.mean);
}

// torch-fidelity's deterministic full-set values (kernel_mmd and one subset of size N, float64).
class KidGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(KidGolden, FullSetMatchesTorchFidelity) {
  const testing::GoldenCase c = testing::load_golden_case(GetParam());
  const auto expected = nlohmann::json::parse(
      testing::read_text(testing::test_data_dir() / "golden" / GetParam() / "expected.json"));
  const auto& kid = expected.at("kid");
  KidOptions options;
  options.full = true;
  const KidResult r = kernel_inception_distance(c.real.view(), c.fake.view(), options);
  const double kernel_mmd = kid.at("torch_fidelity_kernel_mmd_full_float64").at("value");
  const double one_subset = kid.at("torch_fidelity_single_full_subset_float64").at("mean");
  EXPECT_LE(relative_error(r.mean, kernel_mmd), 1e-10) << r.mean << " vs " << kernel_mmd;
  EXPECT_LE(relative_error(r.mean, one_subset), 1e-10) << r.mean << " vs " << one_subset;
  // One subset of size N (a permutation of each set) is the same number.
  KidOptions subset;
  subset.subsets = 1;
  subset.subset_size = c.real.rows;
  EXPECT_LE(relative_error(kernel_inception_distance(c.real.view(), c.fake.view(), subset).mean,
                           kernel_mmd),
            1e-10);
}

INSTANTIATE_TEST_SUITE_P(Cases, KidGolden,
                         ::testing::Values("gauss_d64", "identical_d16", "mixture_d32", "tiny_d4"));

// Subset KID with gensweep's sampler against torch-fidelity's RandomState(2020) subsets: the same
// quantity up to subset-sampling noise. Statistical bound: 5 standard errors of the difference of
// two independent 100-subset means (sqrt(2) std / sqrt(100)); deterministic, since both are seeded.
TEST(KidGoldenSubsets, DefaultSubsetsAgreeWithinSamplingNoise) {
  for (const char* name : {"gauss_d64", "mixture_d32"}) {
    const testing::GoldenCase c = testing::load_golden_case(name);
    const auto expected = nlohmann::json::parse(
        testing::read_text(testing::test_data_dir() / "golden" / name / "expected.json"));
    const auto& ref = expected.at("kid").at("torch_fidelity_default_subsets_float64");
    const KidResult r = kernel_inception_distance(c.real.view(), c.fake.view(), KidOptions{});
    const double std = ref.at("std");
    EXPECT_LE(std::abs(r.mean - ref.at("mean").get<double>()), 5 * std::sqrt(2.0) * std / 10)
        << name;
    EXPECT_NEAR(r.std, std, 0.5 * std) << name;
  }
}

TEST(KidGoldenShared, UnequalSizesSingularD2048) {
  GENSWEEP_REQUIRE_SHARED("golden/singular_d2048/data.h5");
  const auto dir = testing::shared_dir() / "golden" / "singular_d2048";
  const FeatureMatrix real = testing::read_h5_features(dir / "data.h5", "real");
  const FeatureMatrix fake = testing::read_h5_features(dir / "data.h5", "fake");
  const auto expected = nlohmann::json::parse(testing::read_text(dir / "expected.json"));
  // Not a reference value (the references need equal sizes) but an independent float64
  // computation of the unequal-size estimator that kid.h documents.
  const double independent =
      expected.at("kid").at("independent_unbiased_mmd2_unequal_sizes_NOT_REFERENCE").at("value");
  KidOptions options;
  options.full = true;
  const KidResult r = kernel_inception_distance(real.view(), fake.view(), options);
  EXPECT_LE(relative_error(r.mean, independent), 1e-10) << r.mean << " vs " << independent;
}

TEST(KidErrors, BadParameters) {
  const FeatureMatrix a = gaussian(20, 3, 1, 0), b = gaussian(10, 3, 2, 0);
  KidOptions o;
  o.subset_size = 15;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: subset_size 15 exceeds the 10 evaluated features");
  EXPECT_THROW_WITH(kernel_inception_distance(b.view(), a.view(), o), DataError,
                    "kid: subset_size 15 exceeds the 10 reference features");
  o.subset_size = 1;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: subset_size must be >= 2");
  o = {};
  o.subset_size = 5;
  o.subsets = 0;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: subsets must be >= 1, got 0");
  o = {};
  o.full = true;
  o.degree = 0;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: the polynomial degree must be >= 1, got 0");
  o.degree = 3;
  o.gamma = -1;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: gamma must be finite and >= 0");
  o.gamma = 0;
  o.coef0 = NAN;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: coef0 must be finite");
  o.coef0 = 1;
  o.bootstrap = 1;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: bootstrap must be 0 (no interval) or at least 2 resamples, got 1");
  o.bootstrap = 10;
  o.confidence = 1.0;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), b.view(), o), DataError,
                    "kid: confidence must be in (0, 1), got 1");
  o.confidence = 0.95;
  const FeatureMatrix one = gaussian(1, 3, 3, 0);
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), one.view(), o), DataError,
                    "kid: the full estimate needs at least 2 rows per set");
  EXPECT_THROW_WITH(mmd2_unbiased_polynomial(one.view(), a.view(), 3, 0, 1), DataError,
                    "mmd2_unbiased_polynomial: each set needs at least 2 rows");
}

TEST(KidErrors, BadFeatures) {
  const FeatureMatrix a = gaussian(20, 3, 1, 0), c = gaussian(20, 4, 2, 0);
  KidOptions o;
  o.full = true;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), c.view(), o), NumericalError,
                    "kid: dimension mismatch: evaluated features have 4 columns, reference "
                    "features have 3");
  FeatureMatrix bad = gaussian(20, 3, 3, 0);
  bad.row(7)[2] = NAN;
  EXPECT_THROW_WITH(kernel_inception_distance(a.view(), bad.view(), o), NumericalError,
                    "kid: evaluated: non-finite feature nan at row 7, column 2 of 20 x 3");
  bad.row(7)[2] = INFINITY;
  EXPECT_THROW_WITH(kernel_inception_distance(bad.view(), a.view(), o), NumericalError,
                    "kid: reference: non-finite feature inf at row 7, column 2 of 20 x 3");
}

}  // namespace
}  // namespace gensweep::metrics
