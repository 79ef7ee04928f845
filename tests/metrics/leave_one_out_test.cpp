// A set against its own manifold. Two conventions:
//  - ordinary (the Rarity-Score code's): passing a set as its own fakes, each sample lies in its
//    own ball (radius_i - d(i, i) = radius_i > 0), so its score is at most its own radius; the
//    golden identical_d16 (a bit-identical copy as the fakes) records exactly that;
//  - leave-one-out (gensweep's self directions): a sample's own ball and the sample as its own
//    neighbour are excluded.
// Expected values come from the golden files or are worked out by hand in the comments; none is
// copied from gensweep's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "gensweep/core/error.h"
#include "gensweep/dist/comm.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/pipeline/manifold.h"
#include "golden_data.h"
#include "test_util.h"

namespace gensweep::testing {
namespace {

using pipeline::ManifoldOptions;
using pipeline::ManifoldResult;

ManifoldResult self_manifold(const FeatureMatrix& set, ManifoldOptions options, bool loo) {
  options.leave_one_out = loo;
  metrics::MatrixRowSource reference(set.view()), evaluated(set.view());
  dist::Comm serial;
  return pipeline::compute_manifold(reference, evaluated, options, serial);
}

FeatureMatrix column(const std::vector<float>& xs) {
  FeatureMatrix m(static_cast<std::int64_t>(xs.size()), 1);
  std::copy(xs.begin(), xs.end(), m.values.begin());
  return m;
}

ManifoldOptions all_k(int k) {
  ManifoldOptions o;
  o.k_precision_recall = o.k_density_coverage = o.k_rarity = k;
  o.want_giqa_knn = false;
  return o;
}

// Points 0, 1, 3, 7, 15 on a line, k = 2. Radii (2nd nearest other point): 3, 2, 3, 6, 12.
const std::vector<float> kLine = {0, 1, 3, 7, 15};

TEST(LeaveOneOut, HandWorkedLine) {
  const auto r = self_manifold(column(kLine), all_k(2), true);
  EXPECT_EQ(r.radius_rarity, (std::vector<double>{3, 2, 3, 6, 12}));
  // Rarity: the smallest radius of another point's ball strictly containing the sample.
  //   0: ball 1 (d 1 < 2) -> 2; ball 2 (d 3 = 3) no.      1: balls 0 (1 < 3), 2 (2 < 3) -> 3
  //   2: ball 3 (4 < 6) -> 6; balls 0, 1 on the boundary. 3: ball 4 (8 < 12) -> 12
  //   4: no ball (d 8 > 6 from 3, 12 > 3 from 2, ...) -> 0, discarded
  EXPECT_EQ(r.rarity, (std::vector<double>{2, 3, 6, 12, 0}));
  EXPECT_EQ(r.rarity_in_manifold, 4);
  EXPECT_EQ(r.rarity_discarded, 1);
  EXPECT_DOUBLE_EQ(r.rarity_mean, (2.0 + 3 + 6 + 12) / 4);
  // Precision (inclusive d <= r): 0, 1, 2 (d(0,2) = 3 <= 3), 3 (in 4's ball) but not 4: 4/5.
  EXPECT_DOUBLE_EQ(r.precision, 0.8);
  // Recall is precision with the roles swapped; one set, the same radii: 4/5.
  EXPECT_DOUBLE_EQ(r.recall, 0.8);
  // Density (strict): other balls holding each sample 1 + 2 + 1 + 1 + 0 = 5, over k M = 10.
  EXPECT_DOUBLE_EQ(r.density, 0.5);
  // Coverage: every ball holds another sample (0 holds 1, 1 holds 0, 2 holds 1, 3 holds 2, 4
  // holds 3).
  EXPECT_DOUBLE_EQ(r.coverage, 1.0);
  // Nearest other sample.
  EXPECT_EQ(r.nn_index, (std::vector<std::int64_t>{1, 0, 1, 2, 3}));
  EXPECT_EQ(r.nn_distance, (std::vector<double>{1, 1, 2, 4, 8}));
}

TEST(LeaveOneOut, OrdinarySelfComparisonCountsTheOwnBall) {
  // The same line without leave-one-out: each sample's score is min(own radius, the above).
  const auto r = self_manifold(column(kLine), all_k(2), false);
  EXPECT_EQ(r.rarity, (std::vector<double>{2, 2, 3, 6, 12}));
  EXPECT_EQ(r.rarity_discarded, 0);
  EXPECT_DOUBLE_EQ(r.precision, 1.0);
  EXPECT_DOUBLE_EQ(r.coverage, 1.0);
  // Density: one more ball (its own) per sample: (5 + 5) / 10.
  EXPECT_DOUBLE_EQ(r.density, 1.0);
  EXPECT_EQ(r.nn_distance, (std::vector<double>{0, 0, 0, 0, 0}));
}

TEST(LeaveOneOut, LoneOutlierIsOutsideTheManifold) {
  // A tight cluster and one far point: with k = 1 the far point's ball reaches the cluster, but
  // no other ball reaches it, so it is discarded leave-one-out and in the manifold otherwise.
  const auto set = column({0, 1, 2, 100});
  const auto loo = self_manifold(set, all_k(1), true);
  const auto own = self_manifold(set, all_k(1), false);
  EXPECT_EQ(loo.rarity[3], 0.0);
  EXPECT_EQ(own.rarity[3], 98.0);  // its own ball: radius 100 - 2
  EXPECT_DOUBLE_EQ(loo.precision, 0.75);
}

// The golden identical_d16: the fakes are a bit-identical copy of the reals, so the reference's
// scores are the Rarity-Score convention for a set against itself. gensweep's ordinary path,
// given the reals as both sets, reproduces them; leave-one-out never scores below them.
TEST(LeaveOneOut, GoldenIdenticalCopyIsTheOwnBallConvention) {
  const GoldenCase g = load_golden_case("identical_d16");
  const auto h5 = test_data_dir() / "golden" / "identical_d16" / "data.h5";
  for (int k : {3, 5}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    ManifoldOptions o = all_k(k);
    const auto own = self_manifold(g.real, o, false);
    const auto expected = read_h5_doubles(h5, "rarity_k" + std::to_string(k) + "_scores");
    ASSERT_EQ(own.rarity.size(), expected.size());
    for (std::size_t j = 0; j < expected.size(); ++j) {
      ASSERT_NEAR(own.rarity[j], expected[j], 1e-12 * expected[j]) << "sample " << j;
      // In its own ball, so never above its own radius, and never discarded.
      ASSERT_GT(own.rarity[j], 0.0);
      ASSERT_LE(own.rarity[j], own.radius_rarity[j]);
    }
    const auto loo = self_manifold(g.real, o, true);
    std::int64_t discarded = 0;
    for (std::size_t j = 0; j < expected.size(); ++j) {
      if (loo.rarity[j] == 0) {
        ++discarded;
        continue;
      }
      // Fewer balls to take the minimum over.
      ASSERT_GE(loo.rarity[j], own.rarity[j]) << "sample " << j;
    }
    EXPECT_EQ(loo.rarity_discarded, discarded);
    EXPECT_LE(loo.precision, own.precision);
    EXPECT_LE(loo.density, own.density);
    // Each own ball (radius > 0: the reals are distinct) held its own sample once more: M more
    // counts over k M, so density drops by exactly 1 / k.
    EXPECT_NEAR(own.density - loo.density, 1.0 / k, 1e-12);
    EXPECT_EQ(own.precision, 1.0);
    // Closed forms of leave-one-out without ties (the reals are distinct Gaussian draws): ball i
    // (radius: its k-th nearest other sample) strictly holds exactly its k - 1 nearer others, so
    // density = M (k - 1) / (k M) and every ball holds another sample (coverage 1); one set and
    // one k on both sides, so recall is precision.
    EXPECT_NEAR(loo.density, (k - 1.0) / k, 1e-15);
    EXPECT_EQ(loo.coverage, 1.0);
    EXPECT_EQ(loo.recall, loo.precision);
  }
}

TEST(LeaveOneOut, InvariantToRowOrder) {
  const GoldenCase g = load_golden_case("identical_d16");
  const std::int64_t n = g.real.rows, d = g.real.cols;
  // A fixed permutation: row i goes to position (7 i + 3) mod n (7 and 500 are coprime).
  std::vector<std::int64_t> to(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    to[i] = (7 * i + 3) % n;
  FeatureMatrix permuted(n, d);
  for (std::int64_t i = 0; i < n; ++i)
    std::copy(g.real.row(i), g.real.row(i) + d, permuted.row(to[i]));
  ManifoldOptions o = all_k(3);
  o.want_giqa_knn = true;
  const auto a = self_manifold(g.real, o, true);
  const auto b = self_manifold(permuted, o, true);
  EXPECT_EQ(a.precision, b.precision);
  EXPECT_EQ(a.recall, b.recall);
  EXPECT_EQ(a.density, b.density);
  EXPECT_EQ(a.coverage, b.coverage);
  EXPECT_EQ(a.rarity_in_manifold, b.rarity_in_manifold);
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(a.rarity[i], b.rarity[to[i]]) << "row " << i;
    ASSERT_EQ(a.realism[i], b.realism[to[i]]) << "row " << i;
    ASSERT_EQ(a.nn_distance[i], b.nn_distance[to[i]]) << "row " << i;
    ASSERT_EQ(to[a.nn_index[i]], b.nn_index[to[i]]) << "row " << i;
    // KNN-GIQA leave-one-out stays finite (a sample is not its own nearest reference at 0).
    ASSERT_TRUE(std::isfinite(a.giqa_knn[i])) << "row " << i;
  }
}

TEST(LeaveOneOut, TilingDoesNotChangeAnything) {
  const GoldenCase g = load_golden_case("identical_d16");
  ManifoldOptions o = all_k(3);
  o.tile_rows = 37;  // chunks that split the set unevenly: self indices must follow the chunks
  const auto a = self_manifold(g.real, o, true);
  o.tile_rows = 0;
  const auto b = self_manifold(g.real, o, true);
  EXPECT_EQ(a.rarity, b.rarity);
  EXPECT_EQ(a.density, b.density);
  EXPECT_EQ(a.coverage, b.coverage);
  EXPECT_EQ(a.recall, b.recall);
}

TEST(LeaveOneOut, RefusesSetsOfDifferentSizes) {
  const auto a = column({0, 1, 2, 3});
  const auto b = column({0, 1, 2});
  ManifoldOptions o = all_k(1);
  o.leave_one_out = true;
  metrics::MatrixRowSource ra(a.view()), rb(b.view());
  dist::Comm serial;
  EXPECT_THROW(pipeline::compute_manifold(ra, rb, o, serial), DataError);
}

}  // namespace
}  // namespace gensweep::testing
