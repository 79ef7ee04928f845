// Precision / recall / density / coverage, rarity and KNN-GIQA against the golden values of the
// reference implementations (prdc, torch-fidelity, hichoe95/Rarity-Score, cientgu/GIQA):
// tests/data/golden/<case> (small cases) and ../shared/golden/singular_d2048 (D = 2048) when
// present. Nothing expected here comes from gensweep.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gensweep/dist/comm.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/pipeline/manifold.h"
#include "golden_data.h"
#include "test_util.h"

namespace gensweep::testing {
namespace {

using pipeline::ManifoldOptions;
using pipeline::ManifoldResult;

struct Golden {
  FeatureMatrix real, fake;
  nlohmann::json expected;
  std::filesystem::path h5;
};

Golden load_small(const std::string& name) {
  GoldenCase c = load_golden_case(name);  // checks sizes and sha256
  const auto dir = test_data_dir() / "golden" / name;
  return {std::move(c.real), std::move(c.fake),
          nlohmann::json::parse(read_text(dir / "expected.json")), dir / "data.h5"};
}

Golden load_shared(const std::string& name) {
  const auto dir = shared_dir() / "golden" / name;
  return {read_h5_features(dir / "data.h5", "real"), read_h5_features(dir / "data.h5", "fake"),
          nlohmann::json::parse(read_text(dir / "expected.json")), dir / "data.h5"};
}

ManifoldResult run(const Golden& g, const ManifoldOptions& options) {
  metrics::MatrixRowSource real(g.real.view()), fake(g.fake.view());
  dist::Comm serial;
  return pipeline::compute_manifold(real, fake, options, serial);
}

ManifoldOptions only_prdc(int k, bool inclusive) {
  ManifoldOptions o;
  o.k_precision_recall = o.k_density_coverage = k;
  o.precision_recall_inclusive = o.density_coverage_inclusive = inclusive;
  o.want_rarity = o.want_giqa_knn = false;
  return o;
}

// Values that are count / M: a difference of one count is >= 1 / M, far above 1e-12.
void expect_prdc(const ManifoldResult& r, const nlohmann::json& e, bool with_density) {
  EXPECT_NEAR(r.precision, e.at("precision").get<double>(), 1e-12);
  EXPECT_NEAR(r.recall, e.at("recall").get<double>(), 1e-12);
  if (with_density) {
    EXPECT_NEAR(r.density, e.at("density").get<double>(), 1e-12);
    EXPECT_NEAR(r.coverage, e.at("coverage").get<double>(), 1e-12);
  }
}

void check_prdc(const Golden& g) {
  for (int k : {3, 5}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    const auto& prdc = g.expected.at("prdc").at(fmt::format("k{}", k));
    expect_prdc(run(g, only_prdc(k, false)), prdc.at("reference_float32_inputs"), true);
    // torch-fidelity's prc: inclusive; its values are float32 casts of count / M (one count is
    // >= 1 / M apart, far above the float32 rounding).
    const auto inclusive = run(g, only_prdc(k, true));
    const auto& tf =
        g.expected.at("prdc").at("torch_fidelity_prc_k" + std::to_string(k) + "_float32");
    EXPECT_NEAR(inclusive.precision, tf.at("precision").get<double>(), 1e-6);
    EXPECT_NEAR(inclusive.recall, tf.at("recall").get<double>(), 1e-6);
  }
}

void check_rarity(const Golden& g) {
  for (int k : {3, 5}) {
    SCOPED_TRACE("rarity k = " + std::to_string(k));
    ManifoldOptions o;
    o.want_precision_recall = o.want_density_coverage = o.want_giqa_knn = false;
    o.k_rarity = k;
    const auto r = run(g, o);
    const auto& e = g.expected.at("rarity").at(fmt::format("k{}", k));
    const auto expected = read_h5_doubles(g.h5, "rarity_k" + std::to_string(k) + "_scores");
    ASSERT_EQ(r.rarity.size(), expected.size());
    std::int64_t mismatches = 0;
    for (std::size_t j = 0; j < expected.size(); ++j) {
      if (expected[j] == 0) {
        mismatches += r.rarity[j] != 0;
      } else {
        mismatches += !(std::abs(r.rarity[j] - expected[j]) <= 1e-12 * expected[j]);
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(r.rarity_discarded, e.at("num_discarded").get<std::int64_t>());
    EXPECT_EQ(r.rarity_in_manifold + r.rarity_discarded,
              static_cast<std::int64_t>(expected.size()));
    if (r.rarity_in_manifold > 0) {
      const double mean = e.at("mean_score_over_kept").get<double>();
      EXPECT_NEAR(r.rarity_mean, mean, 1e-12 * mean);
    }
    const auto radii = e.at("real_radii").get<std::vector<double>>();
    ASSERT_EQ(r.radius_rarity.size(), radii.size());
    for (std::size_t i = 0; i < radii.size(); ++i)
      ASSERT_NEAR(r.radius_rarity[i], radii[i], 1e-12 * radii[i]) << "real " << i;
    // Summaries: 7 quantiles, 21 edges from min to max, 20 bins holding every kept score.
    ASSERT_EQ(r.rarity_quantiles.size(), 7u);
    if (r.rarity_in_manifold > 0) {
      ASSERT_EQ(r.rarity_histogram_edges.size(), 21u);
      std::int64_t total = 0;
      for (auto c : r.rarity_histogram_counts)
        total += c;
      EXPECT_EQ(total, r.rarity_in_manifold);
      EXPECT_LE(r.rarity_quantiles.front(), r.rarity_quantiles.back());
    }
  }
}

// float64 (the default): within 1e-6 of the reference when D is small; the reference's own
// float32 round-off exceeds 1e-6 at D = 2048, where only its arithmetic reproduces it.
void check_giqa(const Golden& g, bool float32_reference_arithmetic) {
  for (int k : {1, 5}) {
    SCOPED_TRACE("giqa K = " + std::to_string(k) +
                 (float32_reference_arithmetic ? ", float32 arithmetic" : ", float64"));
    ManifoldOptions o;
    o.want_precision_recall = o.want_density_coverage = o.want_rarity = false;
    o.giqa_knn_k = k;
    o.giqa_float32_reference_arithmetic = float32_reference_arithmetic;
    const auto r = run(g, o);
    const auto expected = read_h5_doubles(g.h5, "giqa_knn_K" + std::to_string(k) + "_scores");
    // The reference scores only floor(N / 50) * 50 fakes (batch size 50, README).
    ASSERT_LE(expected.size(), r.giqa_knn.size());
    std::int64_t mismatches = 0;
    for (std::size_t j = 0; j < expected.size(); ++j)
      mismatches += !(std::abs(r.giqa_knn[j] - expected[j]) <= 1e-6 * expected[j]);
    EXPECT_EQ(mismatches, 0);
  }
}

class SmallGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(SmallGolden, PrecisionRecallDensityCoverage) {
  check_prdc(load_small(GetParam()));
}
TEST_P(SmallGolden, Rarity) {
  check_rarity(load_small(GetParam()));
}
TEST_P(SmallGolden, GiqaKnn) {
  const Golden g = load_small(GetParam());
  check_giqa(g, false);
  check_giqa(g, true);
}

INSTANTIATE_TEST_SUITE_P(Cases, SmallGolden,
                         ::testing::Values("gauss_d64", "identical_d16", "mixture_d32", "tiny_d4"));

TEST(SharedGolden, SingularD2048) {
  GENSWEEP_REQUIRE_SHARED("golden/singular_d2048/data.h5");
  const Golden g = load_shared("singular_d2048");
  check_prdc(g);
  check_rarity(g);
  check_giqa(g, true);
}

// Every value is the same, bit for bit, whatever the tile size and thread count.
TEST(ManifoldInvariance, TileSizeAndThreads) {
  const Golden g = load_small("mixture_d32");
  ManifoldOptions a;
  a.tile_rows = 0;
  a.threads = 1;
  ManifoldOptions b = a;
  b.tile_rows = 37;
  b.threads = 2;
  const auto ra = run(g, a), rb = run(g, b);
  EXPECT_EQ(ra.precision, rb.precision);
  EXPECT_EQ(ra.recall, rb.recall);
  EXPECT_EQ(ra.density, rb.density);
  EXPECT_EQ(ra.coverage, rb.coverage);
  EXPECT_EQ(ra.rarity, rb.rarity);
  EXPECT_EQ(ra.realism, rb.realism);
  EXPECT_EQ(ra.giqa_knn, rb.giqa_knn);
  EXPECT_EQ(ra.nn_index, rb.nn_index);
  EXPECT_EQ(ra.nn_distance, rb.nn_distance);
  EXPECT_EQ(ra.radius_precision_recall, rb.radius_precision_recall);
  EXPECT_EQ(ra.radius_density_coverage, rb.radius_density_coverage);
  EXPECT_EQ(ra.radius_rarity, rb.radius_rarity);
}

}  // namespace
}  // namespace gensweep::testing
