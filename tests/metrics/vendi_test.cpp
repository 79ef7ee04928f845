// Vendi score: closed forms (METRICS.md T12), the dual form against the primal, limiting cases
// (orthogonal rows give N, identical rows give 1) and errors.
#include "gensweep/metrics/vendi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

FeatureMatrix gaussian(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  FeatureMatrix m(rows, cols);
  Rng rng(seed);
  for (auto& v : m.values)
    v = static_cast<float>(rng.normal());
  return m;
}

TEST(Vendi, KernelClosedFormsT12) {
  const std::vector<double> k = {1, .9, 0, .9, 1, 0, 0, 0, 1};
  EXPECT_LE(relative_error(vendi_score_from_kernel(k, 3, 1), 2.1573004833739833), 1e-12);
  EXPECT_LE(relative_error(vendi_score_from_kernel(k, 3, 2), 1.9480519480519485), 1e-12);
  EXPECT_LE(relative_error(vendi_score_from_kernel(k, 3, kInf), 1.578947368421053), 1e-12);
}

TEST(Vendi, ExponentialKernelSamplesT12) {
  const std::vector<double> s = {0, 0, 10, 10, 20, 20};
  std::vector<double> k;
  for (double a : s)
    for (double b : s)
      k.push_back(std::exp(-std::abs(a - b)));
  EXPECT_LE(relative_error(vendi_score_from_kernel(k, 6, 1), 2.999999995877693), 1e-12);
}

TEST(Vendi, IdentityAndAllOnes) {
  std::vector<double> eye(16, 0.0), ones(16, 1.0);
  for (int i = 0; i < 4; ++i)
    eye[i * 5] = 1;
  for (double q : {0.0, 0.5, 1.0, 2.0, kInf}) {
    EXPECT_LE(relative_error(vendi_score_from_kernel(eye, 4, q), 4.0), 1e-12) << q;
    EXPECT_LE(relative_error(vendi_score_from_kernel(ones, 4, 1), 1.0), 1e-12) << q;
  }
}

TEST(Vendi, FeatureLimitingCases) {
  FeatureMatrix orthogonal(4, 6);  // 4 orthogonal rows, scaled: cosine kernel = I
  for (int i = 0; i < 4; ++i)
    orthogonal.row(i)[i] = static_cast<float>(i + 1);
  EXPECT_LE(relative_error(vendi_score(orthogonal.view(), {}).value, 4.0), 1e-12);
  FeatureMatrix pairs(4, 3);  // two distinct directions, each twice
  pairs.row(0)[0] = 1;
  pairs.row(1)[0] = 2;
  pairs.row(2)[1] = 1;
  pairs.row(3)[1] = 5;
  EXPECT_LE(relative_error(vendi_score(pairs.view(), {}).value, 2.0), 1e-12);
  FeatureMatrix same(10, 3);  // one direction: dual form (N > D), score 1
  for (int i = 0; i < 10; ++i) {
    same.row(i)[0] = 1;
    same.row(i)[2] = -2;
  }
  const VendiResult r = vendi_score(same.view(), {});
  EXPECT_EQ(r.form, "dual");
  EXPECT_LE(relative_error(r.value, 1.0), 1e-12);
}

// The nonzero spectra of X X^T / n and X^T X / n agree, so both forms give one score.
TEST(Vendi, DualEqualsPrimal) {
  for (const auto& [n, d] : {std::pair<int, int>{60, 8}, {8, 60}, {30, 30}}) {
    const FeatureMatrix x = gaussian(n, d, static_cast<std::uint64_t>(n * 100 + d));
    for (double q : {0.5, 1.0, 2.0, kInf}) {
      for (bool normalize : {true, false}) {
        VendiOptions dual{.q = q, .normalize = normalize, .form = VendiOptions::Form::kDual};
        VendiOptions primal{.q = q, .normalize = normalize, .form = VendiOptions::Form::kPrimal};
        const VendiResult a = vendi_score(x.view(), dual), b = vendi_score(x.view(), primal);
        EXPECT_EQ(a.form, "dual");
        EXPECT_EQ(b.form, "primal");
        EXPECT_LE(relative_error(a.value, b.value), 1e-10) << n << " x " << d << " q " << q;
      }
    }
    EXPECT_EQ(vendi_score(x.view(), {}).form, n > d ? "dual" : "primal");
  }
}

// The dual form streams blocks of 1024 rows: several blocks against the primal in one piece.
TEST(Vendi, StreamedDualEqualsPrimal) {
  const FeatureMatrix x = gaussian(1300, 5, 11);
  const VendiResult a = vendi_score(x.view(), {});
  const VendiResult b = vendi_score(x.view(), {.q = 1, .form = VendiOptions::Form::kPrimal});
  EXPECT_EQ(a.form, "dual");
  EXPECT_LE(relative_error(a.value, b.value), 1e-10);
}

TEST(Vendi, OrderIsNonIncreasingInQ) {
  const FeatureMatrix x = gaussian(40, 5, 3);
  double previous = kInf;
  for (double q : {0.0, 0.5, 1.0, 2.0, 5.0, kInf}) {
    const double v = vendi_score(x.view(), {.q = q}).value;
    EXPECT_LE(v, previous * (1 + 1e-12)) << q;
    EXPECT_GE(v, 1.0 - 1e-12);
    previous = v;
  }
}

TEST(VendiErrors, BadParametersAndFeatures) {
  const FeatureMatrix x = gaussian(5, 3, 1);
  EXPECT_THROW_WITH(vendi_score(x.view(), {.q = -1}), DataError,
                    "vendi: the order q must be >= 0 (or +inf), got -1");
  EXPECT_THROW_WITH(vendi_score(x.view(), {.q = NAN}), DataError, "vendi: the order q must be");
  EXPECT_THROW_WITH(vendi_score_from_kernel({1, 0, 0}, 2, 1), DataError,
                    "vendi_score_from_kernel: the kernel has 3 entries, expected 2 x 2 = 4");
  EXPECT_THROW_WITH(vendi_score_from_kernel({1, 0, NAN, 1}, 2, 1), NumericalError,
                    "vendi_score_from_kernel: non-finite kernel entry nan at (1, 0)");
  FeatureMatrix zero = x;
  std::fill(zero.row(3), zero.row(3) + 3, 0.0f);
  EXPECT_THROW_WITH(vendi_score(zero.view(), {}), NumericalError,
                    "vendi: row 3 has norm 0 and cannot be L2-normalised");
  const FeatureMatrix empty(0, 3);
  EXPECT_THROW_WITH(vendi_score(empty.view(), {}), NumericalError,
                    "vendi: needs a non-empty feature matrix, got 0 x 3");
  FeatureMatrix bad = x;
  bad.row(0)[1] = INFINITY;
  EXPECT_THROW_WITH(vendi_score(bad.view(), {}), NumericalError,
                    "vendi: features: non-finite feature inf at row 0, column 1 of 5 x 3");
}

}  // namespace
}  // namespace gensweep::metrics
