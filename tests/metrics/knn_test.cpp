// The k-NN engine and the manifold metrics: METRICS.md §13 closed forms (T8, T8a, T8b, T9, T10,
// T10b, T11), properties (P/R swap, identical distributions), the engine against a brute-force
// long double k-NN, and parameter errors.
#include "gensweep/metrics/knn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/dist/comm.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/pipeline/manifold.h"
#include "test_util.h"

namespace gensweep::testing {
namespace {

using pipeline::ManifoldOptions;
using pipeline::ManifoldResult;

FeatureMatrix column(std::initializer_list<double> values) {
  FeatureMatrix m(static_cast<std::int64_t>(values.size()), 1);
  std::int64_t i = 0;
  for (double v : values)
    m.values[i++] = static_cast<float>(v);
  return m;
}

FeatureMatrix gaussian(std::int64_t rows, std::int64_t dim, std::uint64_t seed, double offset = 0,
                       double scale = 1) {
  Rng rng(seed);
  FeatureMatrix m(rows, dim);
  for (auto& v : m.values)
    v = static_cast<float>(offset + scale * rng.normal());
  return m;
}

ManifoldResult run(const FeatureMatrix& real, const FeatureMatrix& fake, const ManifoldOptions& o) {
  metrics::MatrixRowSource r(real.view()), f(fake.view());
  dist::Comm serial;
  return pipeline::compute_manifold(r, f, o, serial);
}

ManifoldOptions prdc(int k, bool inclusive) {
  ManifoldOptions o;
  o.k_precision_recall = o.k_density_coverage = o.k_rarity = k;
  o.precision_recall_inclusive = o.density_coverage_inclusive = inclusive;
  o.want_giqa_knn = false;
  return o;
}

void expect_values(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_DOUBLE_EQ(got[i], want[i]) << "index " << i;
}

// ---- METRICS.md §13 -------------------------------------------------------------------------

TEST(ManifoldClosedForm, T8PrdcOneDimensionK1) {
  const auto real = column({0, 1, 3, 6, 10}), fake = column({0.5, 2, 5, 7.5, 20});
  const auto strict = run(real, fake, prdc(1, false));
  expect_values(strict.radius_density_coverage, {1, 1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(strict.precision, 0.8);
  EXPECT_DOUBLE_EQ(strict.recall, 1.0);
  EXPECT_DOUBLE_EQ(strict.density, 1.2);
  EXPECT_DOUBLE_EQ(strict.coverage, 1.0);
  const auto inclusive = run(real, fake, prdc(1, true));
  EXPECT_DOUBLE_EQ(inclusive.precision, 0.8);
  EXPECT_DOUBLE_EQ(inclusive.recall, 1.0);
  EXPECT_DOUBLE_EQ(inclusive.density, 1.6);
  EXPECT_DOUBLE_EQ(inclusive.coverage, 1.0);
  // The fake radii of T8 [1.5, 1.5, 2.5, 2.5, 12.5] show through recall with swapped roles.
  const auto swapped = run(fake, real, prdc(1, false));
  expect_values(swapped.radius_precision_recall, {1.5, 1.5, 2.5, 2.5, 12.5});
}

TEST(ManifoldClosedForm, T8aPrdcOneDimensionK2) {
  const auto real = column({0, 1, 3, 6, 10}), fake = column({0.5, 2, 5, 7.5, 20});
  const auto strict = run(real, fake, prdc(2, false));
  expect_values(strict.radius_density_coverage, {3, 2, 3, 4, 7});
  EXPECT_DOUBLE_EQ(strict.precision, 0.8);
  EXPECT_DOUBLE_EQ(strict.recall, 1.0);
  EXPECT_DOUBLE_EQ(strict.density, 1.1);
  EXPECT_DOUBLE_EQ(strict.coverage, 1.0);
  EXPECT_DOUBLE_EQ(run(real, fake, prdc(2, true)).density, 1.2);
  expect_values(run(fake, real, prdc(2, false)).radius_precision_recall, {4.5, 3, 3, 5.5, 15});
}

TEST(ManifoldClosedForm, T8bDuplicates) {
  const auto real = column({0, 0, 1, 5}), fake = column({0, 0.5, 3});
  const auto strict = run(real, fake, prdc(1, false));
  expect_values(strict.radius_density_coverage, {0, 0, 1, 4});
  EXPECT_DOUBLE_EQ(strict.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(strict.recall, 1.0);
  EXPECT_DOUBLE_EQ(strict.density, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(strict.coverage, 0.5);
  const auto inclusive = run(real, fake, prdc(1, true));
  EXPECT_DOUBLE_EQ(inclusive.precision, 1.0);
  EXPECT_DOUBLE_EQ(inclusive.recall, 1.0);
  EXPECT_DOUBLE_EQ(inclusive.density, 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(inclusive.coverage, 1.0);
}

TEST(ManifoldClosedForm, T10Rarity) {
  const auto real = column({0, 1, 3, 6, 10}), fake = column({0.5, 4.5, 5, 8, 13, 20});
  const auto k1 = run(real, fake, prdc(1, false));
  expect_values(k1.rarity, {1, 2, 3, 3, 4, 0});
  EXPECT_EQ(k1.rarity_discarded, 1);
  EXPECT_EQ(k1.rarity_in_manifold, 5);
  EXPECT_DOUBLE_EQ(k1.rarity_mean, 13.0 / 5.0);
  expect_values(k1.rarity_quantiles, {1, 1.2, 2, 3, 3, 3.8, 4});
  const auto k2 = run(real, fake, prdc(2, false));
  expect_values(k2.rarity, {2, 3, 3, 4, 7, 0});
}

TEST(ManifoldClosedForm, T10bRarityDuplicates) {
  const auto real = column({0, 0, 1, 5}), fake = column({0, 0.5, 3});
  expect_values(run(real, fake, prdc(1, false)).rarity, {0, 1, 4});
}

TEST(ManifoldClosedForm, T11GiqaKnn) {
  FeatureMatrix real(3, 2), q(1, 2);
  real.values = {0, 0, 1, 1, 3, 0};
  q.values = {2, 2};
  ManifoldOptions o;
  o.want_precision_recall = o.want_density_coverage = o.want_rarity = false;
  o.giqa_reference_eps = false;
  o.giqa_knn_k = 1;
  EXPECT_DOUBLE_EQ(run(real, q, o).giqa_knn.at(0), 0.5);
  o.giqa_knn_k = 2;
  EXPECT_DOUBLE_EQ(run(real, q, o).giqa_knn.at(0), 0.5 + 1.0 / 3.0);
  o.giqa_knn_k = 1;
  o.giqa_reference_eps = true;
  const auto r = run(real, q, o);
  EXPECT_NEAR(r.giqa_knn.at(0), 0.49999950000050003, 1e-15);
  EXPECT_DOUBLE_EQ(r.giqa_knn_mean, r.giqa_knn.at(0));
}

// Realism (§5.3 as documented in manifold.h): k = 1 radii [1, 1, 2, 3, 4], median 2: the balls of
// 0, 1 and 3 are kept. Nearest reference: ties go to the lower index.
TEST(ManifoldClosedForm, RealismAndNearestReference) {
  const auto real = column({0, 1, 3, 6, 10}), fake = column({0.5, 5, 20});
  const auto r = run(real, fake, prdc(1, true));
  expect_values(r.realism, {2.0, 1.0, 2.0 / 17.0});
  EXPECT_EQ(r.nn_index, (std::vector<std::int64_t>{0, 3, 4}));
  expect_values(r.nn_distance, {0.5, 1.0, 10.0});
}

// T9: identical continuous distributions, N = M = 10000, k = 5: E[coverage] = 0.96877..., and
// E[density] = 1. Statistical: the bounds are several standard deviations wide.
TEST(ManifoldProperties, T9IdenticalDistributions) {
  const auto real = gaussian(10000, 8, 101), fake = gaussian(10000, 8, 202);
  ManifoldOptions o = prdc(5, false);
  o.want_rarity = false;
  const auto r = run(real, fake, o);
  EXPECT_NEAR(r.coverage, 0.9687734351556639, 0.01);
  EXPECT_NEAR(r.density, 1.0, 0.05);
}

// Precision with the roles swapped is recall, exactly (same balls, same tests).
TEST(ManifoldProperties, PrecisionRecallSwap) {
  const auto a = gaussian(700, 16, 7), b = gaussian(500, 16, 8, 0.3, 1.2);
  for (bool inclusive : {false, true}) {
    const auto ab = run(a, b, prdc(3, inclusive)), ba = run(b, a, prdc(3, inclusive));
    EXPECT_EQ(ab.precision, ba.recall);
    EXPECT_EQ(ab.recall, ba.precision);
  }
}

// ---- The engine against a brute-force long double k-NN ---------------------------------------

std::vector<std::pair<long double, std::int64_t>> brute_row(const float* q, FeatureView refs) {
  std::vector<std::pair<long double, std::int64_t>> all;
  for (std::int64_t i = 0; i < refs.rows; ++i) {
    long double s = 0;
    for (std::int64_t d = 0; d < refs.cols; ++d) {
      const long double t = static_cast<long double>(q[d]) - refs.row(i)[d];
      s += t * t;
    }
    all.emplace_back(s, i);
  }
  std::sort(all.begin(), all.end());
  return all;
}

void check_against_brute_force(const FeatureMatrix& queries, const FeatureMatrix& refs, int kk,
                               std::vector<std::int64_t> block_sizes, std::int64_t query_tile) {
  metrics::KnnAccumulator acc(queries.view(), kk, {2, query_tile});
  std::int64_t at = 0;
  for (std::size_t b = 0; at < refs.rows; ++b) {
    const std::int64_t n =
        std::min(refs.rows - at, b < block_sizes.size() ? block_sizes[b] : refs.rows);
    acc.add_block({refs.row(at), n, refs.cols}, at);
    at += n;
  }
  const auto nb = acc.finish();
  for (std::int64_t q = 0; q < queries.rows; ++q) {
    const auto want = brute_row(queries.row(q), refs.view());
    for (int j = 0; j < kk; ++j) {
      const double d = std::sqrt(static_cast<double>(want[j].first));
      ASSERT_NEAR(nb.distance[q * kk + j], d, 1e-13 * d + 1e-300)
          << "query " << q << " neighbour " << j;
      // Equal distances (duplicates) may list either index; otherwise the index must agree.
      const bool unique =
          want[j + 1].first != want[j].first && (j == 0 || want[j - 1].first != want[j].first);
      if (unique) {
        ASSERT_EQ(nb.index[q * kk + j], want[j].second) << "query " << q << " neighbour " << j;
      }
    }
  }
}

TEST(KnnEngine, MatchesBruteForceAcrossBlocksAndTiles) {
  auto refs = gaussian(600, 24, 11);
  // Duplicates: rows 5..9 copy row 4.
  for (int i = 5; i < 10; ++i)
    std::copy(refs.row(4), refs.row(4) + 24, refs.row(i));
  FeatureMatrix queries(120, 24);
  std::copy(refs.values.begin(), refs.values.begin() + 120 * 24, queries.values.begin());
  check_against_brute_force(queries, refs, 7, {1, 50, 199}, 33);
  check_against_brute_force(queries, refs, 1, {600}, 1024);
}

// A large common offset makes the float32 GEMM useless (catastrophic cancellation): the error
// bound must send everything to the float64 re-check, and the answer must stay exact.
TEST(KnnEngine, ExactUnderCancellation) {
  const auto refs = gaussian(300, 256, 12, 100.0, 0.01);
  const auto queries = gaussian(40, 256, 13, 100.0, 0.01);
  check_against_brute_force(queries, refs, 4, {128, 128}, 16);
}

// ---- Errors ---------------------------------------------------------------------------------

TEST(ManifoldErrors, ParametersAndInputs) {
  const auto four = gaussian(4, 3, 1), three = gaussian(3, 3, 2), wide = gaussian(6, 4, 3);
  ManifoldOptions o;
  EXPECT_THROW_WITH(run(three, four, o), DataError,
                    "precision: k = 3 needs at least 4 reference features, got 3");
  EXPECT_THROW_WITH(run(four, three, o), DataError,
                    "recall: k = 3 needs at least 4 evaluated features, got 3");
  o.k_precision_recall = 0;
  EXPECT_THROW_WITH(run(four, four, o), DataError, "precision: k must be at least 1, got 0");
  o = ManifoldOptions{};
  o.want_precision_recall = false;
  o.k_density_coverage = 5;
  EXPECT_THROW_WITH(run(four, four, o), DataError,
                    "density/coverage: k = 5 needs at least 6 reference features, got 4");
  o = ManifoldOptions{};
  o.want_precision_recall = o.want_density_coverage = o.want_rarity = false;
  o.giqa_knn_k = 5;
  EXPECT_THROW_WITH(run(four, four, o), DataError,
                    "giqa_knn: K = 5 needs at least 5 reference features, got 4");
  EXPECT_THROW_WITH(run(four, wide, ManifoldOptions{}), DataError,
                    "manifold: reference features have dimension 3, evaluated features 4");
  auto bad = gaussian(6, 3, 4);
  bad.values[2 * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW_WITH(run(gaussian(6, 3, 5), bad, ManifoldOptions{}), NumericalError,
                    "manifold: evaluated feature row 2 has a non-finite value (nan) in column 1");
  EXPECT_THROW_WITH(run(bad, gaussian(6, 3, 5), ManifoldOptions{}), NumericalError,
                    "manifold: reference feature row 2 has a non-finite value (nan) in column 1");
}

}  // namespace
}  // namespace gensweep::testing
