#include "gensweep/metrics/inception_score.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "stats_internal.h"

namespace gensweep::metrics {
namespace {

// log_softmax of one row of logits [c] into out [c], in float64.
void log_softmax(const float* logits, std::int64_t c, double* out) {
  double top = -INFINITY;
  for (std::int64_t j = 0; j < c; ++j)
    top = std::max(top, static_cast<double>(logits[j]));
  double sum = 0.0;
  for (std::int64_t j = 0; j < c; ++j)
    sum += std::exp(static_cast<double>(logits[j]) - top);
  const double lse = top + std::log(sum);
  for (std::int64_t j = 0; j < c; ++j)
    out[j] = static_cast<double>(logits[j]) - lse;
}

}  // namespace

InceptionScoreResult inception_score(FeatureView logits, const InceptionScoreOptions& options) {
  const std::int64_t n = logits.rows, c = logits.cols;
  GENSWEEP_CHECK(n >= 0 && c >= 0 && (logits.data != nullptr || logits.size() == 0), NumericalError,
                 "inception_score: invalid logits matrix {} x {}", n, c);
  GENSWEEP_CHECK(c >= 1, NumericalError, "inception_score: the logits have no classes");
  GENSWEEP_CHECK(options.splits >= 1, DataError, "inception_score: splits must be >= 1, got {}",
                 options.splits);
  GENSWEEP_CHECK(options.splits <= n, DataError,
                 "inception_score: {} splits of {} samples would leave empty splits; use at most "
                 "{} splits",
                 options.splits, n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* x = logits.row(i);
    for (std::int64_t j = 0; j < c; ++j)
      GENSWEEP_CHECK(std::isfinite(x[j]), NumericalError,
                     "inception_score: non-finite logit {} at row {}, column {} of {} x {}", x[j],
                     i, j, n, c);
  }

  // Row order: identity, an explicit permutation, or gensweep's own seeded shuffle.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (!options.permutation.empty()) {
    GENSWEEP_CHECK(static_cast<std::int64_t>(options.permutation.size()) == n, DataError,
                   "inception_score: the permutation has {} entries for {} samples",
                   options.permutation.size(), n);
    std::vector<char> seen(static_cast<std::size_t>(n), 0);
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t r = options.permutation[k];
      GENSWEEP_CHECK(r >= 0 && r < n && !seen[r], DataError,
                     "inception_score: the permutation is not one of 0..{}: entry {} is {}", n - 1,
                     k, r);
      seen[r] = 1;
      order[k] = r;
    }
  } else if (options.shuffle_seed) {
    Rng rng(*options.shuffle_seed);
    for (std::int64_t i = n - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
      std::swap(order[i], order[j]);
    }
  }

  InceptionScoreResult result;
  std::vector<double> logp(static_cast<std::size_t>(c)), q(static_cast<std::size_t>(c)),
      log_q(static_cast<std::size_t>(c));
  for (std::int64_t s = 0; s < options.splits; ++s) {
    const std::int64_t begin = s * n / options.splits, end = (s + 1) * n / options.splits;
    const double count = static_cast<double>(end - begin);
    // p(y) = mean of p(y|x) over the split (first pass), then the mean KL (second pass).
    std::fill(q.begin(), q.end(), 0.0);
    for (std::int64_t k = begin; k < end; ++k) {
      log_softmax(logits.row(order[k]), c, logp.data());
      for (std::int64_t j = 0; j < c; ++j)
        q[j] += std::exp(logp[j]);
    }
    for (std::int64_t j = 0; j < c; ++j)
      log_q[j] = std::log(q[j] / count);
    double kl_total = 0.0;
    for (std::int64_t k = begin; k < end; ++k) {
      log_softmax(logits.row(order[k]), c, logp.data());
      double kl = 0.0;
      for (std::int64_t j = 0; j < c; ++j) {
        const double p = std::exp(logp[j]);
        if (p > 0.0) kl += p * (logp[j] - log_q[j]);  // 0 log 0 = 0
      }
      kl_total += kl;
    }
    result.per_split.push_back(std::exp(kl_total / count));
  }
  const auto spread = detail::mean_and_population_std(result.per_split);
  result.mean = spread.mean;
  result.std = spread.std;
  return result;
}

}  // namespace gensweep::metrics
