#pragma once
// Kernel Inception Distance (Bińkowski, Sutherland, Arbel & Gretton 2018, "Demystifying MMD
// GANs"): the squared maximum mean discrepancy between two feature sets under the polynomial
// kernel k(x, y) = (gamma x.y + coef0)^degree, by default (x.y / D + 1)^3 (METRICS.md §3).
//
// Estimator: the unbiased MMD^2_u of METRICS.md §3.1. For sets X (m rows) and Y (n rows)
//   MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1))
//             - 2 sum_{i, j} k(x_i, y_j) / (m n).
// For m == n this is exactly the estimator of torch-fidelity, clean-fid, StyleGAN and dgm-eval
// (the cross term keeps i == j and divides by m^2). For m != n it is the natural extension (every
// within-set pair off the diagonal, every cross pair); the references only ever evaluate
// equal-size subsets. It is symmetric in the two sets, can be negative, and a set compared with
// itself does not give 0 (METRICS.md T6b).
//
// KID (subsets mode, the default): the mean over `subsets` independent pairs of subsets of
// `subset_size` rows, each drawn without replacement; std with ddof 0 over the subsets, as
// torch-fidelity reports it. Defaults 100 x 1000 as torch-fidelity / StyleGAN / clean-fid.
// Differences from the references:
// - subset_size larger than either set is an error (torch-fidelity); clean-fid and StyleGAN
//   silently shrink it to min(N1, N2, 1000).
// - The subsets come from gensweep's own sampler, not numpy's RandomState(2020): subset s uses
//   the stream Rng(seed, s) and takes the first subset_size entries of a Fisher-Yates shuffle
//   (Rng::below) of the evaluated rows, then of the reference rows (torch-fidelity's order:
//   generated first). The values therefore differ from torch-fidelity's by subset-sampling noise
//   (about std / sqrt(subsets)); they are bitwise reproducible and independent of thread counts
//   (one BLAS thread; see blas_threads.h).
// - Everything is float64 (the references compute float32 Gram matrices); Gram matrices come from
//   BLAS dsyrk / dgemm on blocks of at most 1024 rows, so memory is O(block^2 + block D), never
//   O(N^2).
// Full mode (`full = true`): one deterministic MMD^2_u on all rows of both sets (the value
// torch-fidelity's kernel_mmd and clean-fid with one subset of size N give; golden to 1e-10).
//
// Bootstrap (`bootstrap > 0`): a percentile interval at level `confidence` (quantiles
// (1 -/+ confidence) / 2, numpy's default linear interpolation); resample b draws from
// Rng(seed, 2^32 + b), streams disjoint from the subsets'.
// - full mode: both sets are resampled with replacement (counts w per evaluated row, v per
//   reference row, drawn evaluated rows first) and MMD^2_u recomputed on each resample over pairs
//   of draws of two different rows: within a set sum_{i != j} w_i w_j K_ij / (n^2 - sum_i w_i^2),
//   across sets sum_{i,j} w_i v_j K_ij / (n m). Counting two copies of one row as a pair (the
//   estimator applied blindly to the resampled rows) would add K(x, x) terms and centre the
//   resamples on the biased V-statistic rather than on MMD^2_u: at N = 5000, D = 2048 the whole
//   95% interval lay above the estimate. All resamples share one pass over the Gram blocks
//   (quadratic forms with the counts): an extra O(N^2 B) on top of the O(N^2 D) Gram blocks.
//   The interval covers the sampling variability of both sets.
// - subsets mode: the `subsets` per-subset estimates are resampled with replacement and averaged.
//   That interval covers only the Monte-Carlo error of the subset average (it shrinks as subsets
//   grows), not the sampling of the sets: use full mode when that is what is wanted.

#include <cmath>
#include <cstdint>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

struct KidOptions {
  std::int64_t subsets = 100;
  std::int64_t subset_size = 1000;
  std::uint64_t seed = 0;  // gensweep's own sampler (core/random.h); documented, not numpy's
  bool full = false;       // one deterministic estimate on all pairs (sets may differ in size:
                           // the unequal-size MMD^2_u above; for equal sizes it is MMD^2_u)
  int degree = 3;
  double gamma = 0;  // 0 = 1/D
  double coef0 = 1;
  std::int64_t bootstrap = 0;  // resamples for a confidence interval (0 = none)
  double confidence = 0.95;
};

struct KidResult {
  double mean = 0, std = 0;  // std with ddof 0 over subsets (torch-fidelity); 0 when full
  std::int64_t subsets = 0, subset_size = 0;  // full mode: 1 and the number of evaluated rows
  bool full = false;
  double ci_low = NAN, ci_high = NAN;  // bootstrap percentile interval when requested
  std::vector<double> per_subset;      // the subset estimates (subsets mode), in subset order
};

// reference = real, evaluated = generated. float64 kernels (blocked: memory O(block^2), not
// O(N^2)). Throws DataError for bad options (subset_size > N or < 2, subsets < 1, degree < 1,
// gamma < 0, non-finite coef0, confidence outside (0, 1), bootstrap < 0) and NumericalError for a
// dimension mismatch, fewer than 2 rows or a non-finite feature.
KidResult kernel_inception_distance(FeatureView reference, FeatureView evaluated,
                                    const KidOptions& options);

// The unbiased MMD^2_u of METRICS.md §3.1 for two explicit sets (used by the above and the tests);
// gamma 0 means 1/D. Sets may differ in size (estimator above); each needs at least 2 rows.
double mmd2_unbiased_polynomial(FeatureView x, FeatureView y, int degree, double gamma,
                                double coef0);

}  // namespace gensweep::metrics
