#pragma once
// Bootstrap confidence intervals (Efron's percentile interval) for set-to-set metrics. Every
// resample is seeded: resample b draws its indices from Rng(seed, b) (core/random.h), so the
// interval is bitwise reproducible and independent of how resamples are scheduled. Quantiles use
// numpy's default (linear interpolation between order statistics, h = (B - 1) p) at
// p = (1 - level) / 2 and (1 + level) / 2. (KID's interval lives in kid.h.)

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

struct ConfidenceInterval {
  double low = NAN, high = NAN;
  double level = 0.95;
  std::int64_t resamples = 0;
  std::uint64_t seed = 0;
};

// Percentile bootstrap of FD: both sets resampled with replacement (seeded), FD recomputed.
// Each resample: N1 indices into `reference` then N2 into `evaluated`, uniform with replacement
// from Rng(seed, b); FD as frechet_distance would compute it on the resampled rows (statistics
// from per-row counts, two-pass in float64; the nuclear-norm route when min(N1, N2) - 1 < D,
// otherwise the symmetric route), diagnostics off. Cost: resamples x (statistics of both sets +
// one FD).
// Throws UsageError for resamples < 2 or level outside (0, 1); NumericalError as frechet_distance.
ConfidenceInterval bootstrap_fd(FeatureView reference, FeatureView evaluated,
                                std::int64_t resamples, double level, std::uint64_t seed);

// The percentile interval of a sample of resampled values (numpy linear quantiles), shared by the
// bootstraps. Throws UsageError for fewer than 2 values, level outside (0, 1) or a NaN value.
std::pair<double, double> percentile_interval(std::vector<double> values, double level);

}  // namespace gensweep::metrics
