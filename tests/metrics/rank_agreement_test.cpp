// Rank agreement: closed forms worked by hand, properties, and scipy.stats on random data with
// ties (Debian's python3-scipy, when present).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/rank_agreement.h"
#include "test_util.h"

namespace gensweep::metrics {
namespace {

TEST(RankAgreement, HandWorkedValues) {
  // x = 1 2 3 4, y = 1 3 2 4: pairs (2,3) discordant, the other 5 concordant.
  const std::vector<double> x = {1, 2, 3, 4}, y = {1, 3, 2, 4};
  EXPECT_DOUBLE_EQ(kendall_tau(x, y), 4.0 / 6.0);
  // d = 0, -1, 1, 0: rho = 1 - 6 * 2 / (4 * 15) = 0.8.
  EXPECT_DOUBLE_EQ(spearman_rho(x, y), 0.8);
  // Ties: x = 1 1 2, y = 1 2 3. n0 = 3, n1 = 1 (the tied pair in x), n2 = 0; C - D = 2.
  EXPECT_DOUBLE_EQ(kendall_tau({1, 1, 2}, {1, 2, 3}), 2.0 / std::sqrt(2.0 * 3.0));
  EXPECT_EQ(average_ranks({10, 20, 10, 5}), (std::vector<double>{2.5, 4, 2.5, 1}));
}

TEST(RankAgreement, Properties) {
  std::vector<double> x(20), reversed(20), shifted(20);
  for (int i = 0; i < 20; ++i) {
    x[i] = std::sin(i * 1.7);
    reversed[i] = -x[i];
    shifted[i] = 3 * x[i] + 5;  // a monotone transform ranks the same
  }
  EXPECT_DOUBLE_EQ(kendall_tau(x, x), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau(x, reversed), -1.0);
  EXPECT_DOUBLE_EQ(spearman_rho(x, shifted), 1.0);
  EXPECT_DOUBLE_EQ(spearman_rho(x, reversed), -1.0);
  EXPECT_TRUE(std::isnan(kendall_tau({1, 1, 1}, {1, 2, 3})));  // a constant ranking
  EXPECT_TRUE(std::isnan(spearman_rho({1, 2, 3}, {4, 4, 4})));
  EXPECT_DOUBLE_EQ(jaccard({"a", "b", "c"}, {"b", "c", "d"}), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(jaccard({}, {}), 1.0);
  EXPECT_THROW(kendall_tau({1, 2}, {1, 2, 3}), NumericalError);
  EXPECT_THROW(spearman_rho({1}, {1}), NumericalError);
  EXPECT_THROW(kendall_tau({1, NAN}, {1, 2}), NumericalError);
}

TEST(RankAgreement, AgreesWithScipyOnTiedData) {
  if (std::system("/usr/bin/python3 -c 'import scipy.stats' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "needs /usr/bin/python3 with scipy (python3-scipy)";
  // Integer scores 0..4 for 30 items: many ties, as severities and rank buckets have.
  Rng rng(42);
  std::vector<double> x(30), y(30);
  std::ostringstream xs, ys;
  for (int i = 0; i < 30; ++i) {
    x[i] = static_cast<double>(rng.next_u64() % 5);
    y[i] = static_cast<double>(rng.next_u64() % 5);
    xs << (i ? "," : "") << x[i];
    ys << (i ? "," : "") << y[i];
  }
  const testing::TempDir dir;
  const std::string command =
      "/usr/bin/python3 -c 'import scipy.stats as s; x=[" + xs.str() + "]; y=[" + ys.str() +
      "]; print(repr(s.kendalltau(x, y)[0])); print(repr(s.spearmanr(x, y)[0]))' > " +
      (dir / "scipy.txt").string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(dir / "scipy.txt");
  double tau = 0, rho = 0;
  in >> tau >> rho;
  EXPECT_NEAR(kendall_tau(x, y), tau, 1e-15);
  EXPECT_NEAR(spearman_rho(x, y), rho, 1e-14);
}

}  // namespace
}  // namespace gensweep::metrics
