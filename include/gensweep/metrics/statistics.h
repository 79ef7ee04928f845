#pragma once
// Gaussian sufficient statistics of feature sets: the first stage of the Fréchet distance (and of
// any metric that needs only a mean and a covariance). Statistics are cached and merged across
// shards and ranks, so they are kept as (count, mean, centred scatter) rather than as a
// covariance: that triple merges exactly (Chan et al.) and the covariance follows on demand.
//
// Conventions (those of pytorch-fid, clean-fid, torch-fidelity; METRICS.md §2.2):
// - everything in float64, whatever the feature precision (float32 features are widened first);
// - covariance = scatter / (count - 1), the unbiased sample covariance that np.cov returns.
//   StyleGAN2-ADA/3 use the population covariance (scatter / count): on small sets the two FDs
//   differ a lot (METRICS.md T4 vs T4b), so never mix statistics from the two conventions.

#include <Eigen/Core>

#include <cstdint>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

// count samples; mean [dim]; scatter [dim x dim] = sum_i (x_i - mean)(x_i - mean)^T, symmetric,
// both triangles stored. A set with count == 0 has mean and scatter of zeros (or of size 0 when
// default-constructed).
//
// Statistics imported from another tool's file (features/statistics_file.h) carry a covariance,
// not a scatter, and often no N: for them `imported` is true, `scatter` holds the covariance as
// the file gave it (denominator N - 1 already applied, so it is used bit for bit) and `count` is
// N when the file records it, else 0. They serve the Fréchet distance and nothing that needs
// features; merge_stats refuses them.
struct GaussianStats {
  std::int64_t count = 0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd scatter;
  bool imported = false;

  std::int64_t dim() const { return mean.size(); }
  // What scatter is divided by to give the covariance: N - 1, or 1 for imported statistics.
  double covariance_divisor() const { return imported ? 1.0 : static_cast<double>(count - 1); }
};

// Statistics of the rows of `rows` ([N x D] float32, row-major) whose valid[i] != 0; valid is
// [N] or nullptr (every row counts). Two passes in float64: the mean, then the scatter of the
// centred rows, accumulated block by block with BLAS dsyrk (centring first is what keeps the
// scatter accurate when the mean is large relative to the spread).
// Throws NumericalError naming the row and column of the first non-finite value among the rows
// used, since every reference implementation would silently propagate it into a NaN FD.
GaussianStats compute_stats(FeatureView rows, const std::uint8_t* valid = nullptr);

// Statistics of the union of the two sets, exact in float64 (Chan, Golub & LeVeque 1979):
//   n = na + nb, delta = mean_b - mean_a, mean = mean_a + delta * nb / n,
//   scatter = scatter_a + scatter_b + delta delta^T * na * nb / n.
// Either side may be empty (count 0); throws NumericalError when both are non-empty and their
// dimensions differ.
GaussianStats merge_stats(const GaussianStats& a, const GaussianStats& b);

// The unbiased covariance scatter / (count - 1), as np.cov(X, rowvar=False), or an imported
// covariance as it is. Throws NumericalError when count < 2 (computed statistics).
Eigen::MatrixXd covariance(const GaussianStats& s);

}  // namespace gensweep::metrics
