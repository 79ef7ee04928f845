#include "gensweep/metrics/bootstrap.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/frechet.h"
#include "gensweep/metrics/statistics.h"
#include "stats_internal.h"

namespace gensweep::metrics {
namespace {

// numpy's _lerp: a + (b - a) t, evaluated from the nearer end (as numpy.quantile does).
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

double quantile_sorted(const std::vector<double>& sorted, double p) {
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return lerp(sorted[lo], sorted[hi], h - static_cast<double>(lo));
}

// Statistics of the multiset that takes row i counts[i] times (sum of counts = N): the two passes
// of compute_stats (mean, then dsyrk on centred rows), each row repeated counts[i] times in the
// centred blocks, so this is compute_stats on the resampled rows sorted by index.
GaussianStats weighted_stats(FeatureView rows, const std::vector<std::int64_t>& counts) {
  const std::int64_t d = rows.cols;
  GaussianStats stats;
  stats.count = 0;
  stats.mean = Eigen::VectorXd::Zero(d);
  for (std::int64_t i = 0; i < rows.rows; ++i) {
    if (counts[i] == 0) continue;
    const float* x = rows.row(i);
    const double w = static_cast<double>(counts[i]);
    for (std::int64_t j = 0; j < d; ++j)
      stats.mean[j] += w * static_cast<double>(x[j]);
    stats.count += counts[i];
  }
  stats.mean /= static_cast<double>(stats.count);
  stats.scatter = Eigen::MatrixXd::Zero(d, d);
  const std::int64_t block = detail::block_rows_for(d);
  std::vector<double> centred(static_cast<std::size_t>(block * d));
  std::int64_t filled = 0;
  auto flush = [&] {
    if (filled == 0) return;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<blasint>(d),
                static_cast<blasint>(filled), 1.0, centred.data(), static_cast<blasint>(d), 1.0,
                stats.scatter.data(), static_cast<blasint>(d));
    filled = 0;
  };
  for (std::int64_t i = 0; i < rows.rows; ++i) {
    const float* x = rows.row(i);
    for (std::int64_t c = 0; c < counts[i]; ++c) {
      double* y = centred.data() + filled * d;
      for (std::int64_t j = 0; j < d; ++j)
        y[j] = static_cast<double>(x[j]) - stats.mean[j];
      if (++filled == block) flush();
    }
  }
  flush();
  for (std::int64_t j = 0; j < d; ++j)
    for (std::int64_t i = j + 1; i < d; ++i)
      stats.scatter(i, j) = stats.scatter(j, i);
  return stats;
}

FeatureMatrix gather(FeatureView rows, const std::vector<std::int64_t>& index) {
  FeatureMatrix out(static_cast<std::int64_t>(index.size()), rows.cols);
  for (std::size_t k = 0; k < index.size(); ++k)
    std::copy(rows.row(index[k]), rows.row(index[k]) + rows.cols,
              out.row(static_cast<std::int64_t>(k)));
  return out;
}

}  // namespace

std::pair<double, double> percentile_interval(std::vector<double> values, double level) {
  GENSWEEP_CHECK(values.size() >= 2, DataError,
                 "bootstrap: a percentile interval needs at least 2 resampled values, got {}",
                 values.size());
  GENSWEEP_CHECK(level > 0.0 && level < 1.0, DataError,
                 "bootstrap: the confidence level must be in (0, 1), got {}", level);
  for (double v : values)
    GENSWEEP_CHECK(!std::isnan(v), NumericalError, "bootstrap: a resampled value is NaN");
  std::sort(values.begin(), values.end());
  return {quantile_sorted(values, (1.0 - level) / 2.0),
          quantile_sorted(values, (1.0 + level) / 2.0)};
}

ConfidenceInterval bootstrap_fd(FeatureView reference, FeatureView evaluated,
                                std::int64_t resamples, double level, std::uint64_t seed) {
  GENSWEEP_CHECK(resamples >= 2, DataError, "bootstrap_fd: resamples must be >= 2, got {}",
                 resamples);
  GENSWEEP_CHECK(level > 0.0 && level < 1.0, DataError,
                 "bootstrap_fd: the confidence level must be in (0, 1), got {}", level);
  GENSWEEP_CHECK(reference.cols == evaluated.cols, NumericalError,
                 "bootstrap_fd: dimension mismatch: reference features have {} columns, "
                 "evaluated {}",
                 reference.cols, evaluated.cols);
  GENSWEEP_CHECK(reference.rows >= 2 && evaluated.rows >= 2, NumericalError,
                 "bootstrap_fd: each set needs at least 2 rows, got {} reference and {} evaluated",
                 reference.rows, evaluated.rows);
  // Non-finite features are reported once, up front, with their position.
  std::int64_t count = 0;
  detail::feature_mean(reference, nullptr, count, "bootstrap_fd: reference");
  detail::feature_mean(evaluated, nullptr, count, "bootstrap_fd: evaluated");

  const std::int64_t n1 = reference.rows, n2 = evaluated.rows, d = reference.cols;
  const bool small = std::min(n1, n2) - 1 < d;  // frechet_distance's kAuto picks nuclear-norm
  FrechetOptions fd_options;
  fd_options.diagnostics = false;
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(resamples));
  std::vector<std::int64_t> index1(static_cast<std::size_t>(n1)),
      index2(static_cast<std::size_t>(n2));
  std::vector<std::int64_t> counts1, counts2;
  for (std::int64_t b = 0; b < resamples; ++b) {
    Rng rng(seed, static_cast<std::uint64_t>(b));
    for (auto& i : index1)
      i = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n1)));
    for (auto& i : index2)
      i = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n2)));
    if (small) {
      const FeatureMatrix a = gather(reference, index1), e = gather(evaluated, index2);
      values.push_back(frechet_distance(a.view(), e.view(), fd_options).value);
    } else {
      counts1.assign(static_cast<std::size_t>(n1), 0);
      counts2.assign(static_cast<std::size_t>(n2), 0);
      for (std::int64_t i : index1)
        ++counts1[i];
      for (std::int64_t i : index2)
        ++counts2[i];
      values.push_back(frechet_distance(weighted_stats(reference, counts1),
                                        weighted_stats(evaluated, counts2), fd_options)
                           .value);
    }
  }
  ConfidenceInterval ci;
  double total = 0.0;
  for (double v : values)
    total += v;
  ci.resampled_mean = total / static_cast<double>(values.size());
  ci.estimate = frechet_distance(reference, evaluated, fd_options).value;
  std::tie(ci.low, ci.high) = percentile_interval(std::move(values), level);
  ci.basic_low = 2.0 * ci.estimate - ci.high;
  ci.basic_high = 2.0 * ci.estimate - ci.low;
  ci.level = level;
  ci.resamples = resamples;
  ci.seed = seed;
  return ci;
}

}  // namespace gensweep::metrics
