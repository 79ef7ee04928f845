// Inception Score: closed forms (METRICS.md T7, T7b), torch-fidelity's float64 values on the
// shared is_logits case (1e-12 relative, skipped when absent), properties and errors.
#include "gensweep/metrics/inception_score.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "golden_data.h"
#include "metric_test_util.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

using namespace ::gensweep::testing;

TEST(InceptionScore, OneHotT7) {
  // Logits 0 and -1000: exp(-1000) underflows to 0 in float64, so p = [[1, 0], [0, 1]] exactly.
  const FeatureMatrix logits = matrix(2, 2, {0, -1000, -1000, 0});
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 1});
  EXPECT_LE(relative_error(r.mean, 2.0), 1e-15);
  EXPECT_EQ(r.std, 0.0);
  ASSERT_EQ(r.per_split.size(), 1u);
}

TEST(InceptionScore, SoftmaxT7b) {
  const FeatureMatrix logits = matrix(4, 3, {2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 1, 0});
  EXPECT_LE(relative_error(inception_score(logits.view(), {.splits = 1}).mean, 1.405691886427673),
            1e-12);
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 2});
  ASSERT_EQ(r.per_split.size(), 2u);
  EXPECT_LE(relative_error(r.per_split[0], 1.3403073033479258), 1e-12);
  EXPECT_LE(relative_error(r.per_split[1], 1.2418144293898055), 1e-12);
  EXPECT_LE(relative_error(r.mean, 1.2910608663688656), 1e-12);
  EXPECT_LE(relative_error(r.std, 0.04924643697906017), 1e-12);
}

TEST(InceptionScore, UniformPredictionsScoreOne) {
  const FeatureMatrix logits(30, 7);  // all zeros
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 3});
  EXPECT_NEAR(r.mean, 1.0, 1e-15);
  EXPECT_NEAR(r.std, 0.0, 1e-15);
}

// One sample per split: p(y) is that sample's prediction, so every KL is 0 (METRICS.md §4.5).
TEST(InceptionScore, OneSamplePerSplitScoresOne) {
  const FeatureMatrix logits = matrix(3, 3, {2, 0, 0, 0, 2, 0, 1, 1, 0});
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 3});
  for (double v : r.per_split)
    EXPECT_NEAR(v, 1.0, 1e-15);
}

TEST(InceptionScore, SplitBoundariesAreIntegerFloors) {
  // N = 5, 2 splits: rows [0, 2) and [2, 5) (i N / splits), as OpenAI / torch-fidelity.
  const FeatureMatrix logits = matrix(5, 3, {2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 1, 0, 3, 0, 1});
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 2});
  const FeatureMatrix first = matrix(2, 3, {2, 0, 0, 0, 2, 0});
  const FeatureMatrix second = matrix(3, 3, {0, 0, 2, 1, 1, 0, 3, 0, 1});
  EXPECT_EQ(r.per_split[0], inception_score(first.view(), {.splits = 1}).mean);
  EXPECT_EQ(r.per_split[1], inception_score(second.view(), {.splits = 1}).mean);
}

TEST(InceptionScore, ShufflingIsSeededAndInvisibleWithOneSplit) {
  FeatureMatrix logits(50, 6);
  Rng rng(4);
  for (auto& v : logits.values)
    v = static_cast<float>(3 * rng.normal());
  const double plain = inception_score(logits.view(), {.splits = 1}).mean;
  InceptionScoreOptions shuffled{.splits = 1, .shuffle_seed = 9};
  EXPECT_LE(relative_error(inception_score(logits.view(), shuffled).mean, plain), 1e-12);
  shuffled.splits = 5;
  const InceptionScoreResult a = inception_score(logits.view(), shuffled);
  const InceptionScoreResult b = inception_score(logits.view(), shuffled);
  EXPECT_EQ(a.per_split, b.per_split);
  EXPECT_NE(a.per_split, inception_score(logits.view(), {.splits = 5}).per_split);
  // An explicit identity permutation is the unshuffled order.
  InceptionScoreOptions identity{.splits = 5};
  for (std::int64_t i = 0; i < 50; ++i)
    identity.permutation.push_back(i);
  EXPECT_EQ(inception_score(logits.view(), identity).per_split,
            inception_score(logits.view(), {.splits = 5}).per_split);
}

class InceptionScoreGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    GENSWEEP_REQUIRE_SHARED("golden/is_logits/data.h5");
    dir_ = testing::shared_dir() / "golden" / "is_logits";
    expected_ = nlohmann::json::parse(testing::read_text(dir_ / "expected.json"));
  }
  std::filesystem::path dir_;
  nlohmann::json expected_;
};

TEST_F(InceptionScoreGolden, UnshuffledMatchesTorchFidelity) {
  const FeatureMatrix logits = testing::read_h5_features(dir_ / "data.h5", "logits");
  ASSERT_EQ(logits.rows, 5000);
  ASSERT_EQ(logits.cols, 1008);
  const auto& ten = expected_.at("logits").at("torch_fidelity_splits10_shuffleFalse");
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 10});
  EXPECT_LE(relative_error(r.mean, ten.at("mean")), 1e-12) << r.mean;
  EXPECT_LE(relative_error(r.std, ten.at("std")), 1e-12) << r.std;
  const auto& one = expected_.at("logits").at("torch_fidelity_splits1_shuffleFalse");
  EXPECT_LE(relative_error(inception_score(logits.view(), {.splits = 1}).mean, one.at("mean")),
            1e-12);
}

// torch-fidelity's default (shuffled with numpy's RandomState(2020)) through its stored
// permutation.
TEST_F(InceptionScoreGolden, ShuffledWithNumpysPermutationMatchesTorchFidelity) {
  const FeatureMatrix logits = testing::read_h5_features(dir_ / "data.h5", "logits");
  InceptionScoreOptions options{.splits = 10};
  options.permutation = testing::read_h5_int64_vector(
      dir_ / "data.h5", "torch_fidelity_shuffle_permutation_seed2020_N5000");
  const auto& ref = expected_.at("logits").at("torch_fidelity_splits10_shuffleTrue");
  const InceptionScoreResult r = inception_score(logits.view(), options);
  EXPECT_LE(relative_error(r.mean, ref.at("mean")), 1e-12) << r.mean;
  EXPECT_LE(relative_error(r.std, ref.at("std")), 1e-12) << r.std;
}

TEST_F(InceptionScoreGolden, UniformLogitsScoreOne) {
  const FeatureMatrix logits = testing::read_h5_features(dir_ / "data.h5", "logits_uniform");
  const InceptionScoreResult r = inception_score(logits.view(), {.splits = 10});
  EXPECT_LE(relative_error(r.mean, 1.0), 1e-12);
  EXPECT_LE(r.std, 1e-12);
  EXPECT_LE(relative_error(inception_score(logits.view(), {.splits = 1}).mean, 1.0), 1e-12);
}

TEST(InceptionScoreErrors, BadParameters) {
  const FeatureMatrix logits(4, 3);
  EXPECT_THROW_WITH(inception_score(logits.view(), {.splits = 5}), DataError,
                    "inception_score: 5 splits of 4 samples would leave empty splits");
  EXPECT_THROW_WITH(inception_score(logits.view(), {.splits = 0}), DataError,
                    "inception_score: splits must be >= 1, got 0");
  InceptionScoreOptions options{.splits = 2};
  options.permutation = {0, 1, 2};
  EXPECT_THROW_WITH(inception_score(logits.view(), options), DataError,
                    "inception_score: the permutation has 3 entries for 4 samples");
  options.permutation = {0, 1, 1, 3};
  EXPECT_THROW_WITH(inception_score(logits.view(), options), DataError,
                    "inception_score: the permutation is not one of 0..3: entry 2 is 1");
  FeatureMatrix bad(4, 3);
  bad.row(2)[1] = NAN;
  EXPECT_THROW_WITH(inception_score(bad.view(), {.splits = 1}), NumericalError,
                    "inception_score: non-finite logit nan at row 2, column 1 of 4 x 3");
}

}  // namespace
}  // namespace gensweep::metrics
