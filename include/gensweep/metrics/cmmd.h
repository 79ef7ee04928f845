#pragma once
// CMMD (Jayasumana et al., CVPR 2024, "Rethinking FID: Towards a Better Evaluation Metric for
// Image Generation"): the squared MMD under the Gaussian RBF kernel
// k(x, y) = exp(-|x - y|^2 / (2 sigma^2)), sigma = 10, on L2-normalised CLIP ViT-L/14@336
// embeddings, scaled by 1000 (METRICS.md §10).
//
// Estimator: the biased V-statistic of the official code (all diagonals included; sets may differ
// in size):
//   CMMD = scale (mean_{i,j} k(x_i, x_j) + mean_{i,j} k(y_i, y_j) - 2 mean_{i,j} k(x_i, y_j)).
// It is >= 0 up to round-off, symmetric, and exactly 0 for identical sets in exact arithmetic.
// Differences from the reference (google-research/cmmd, JAX, float32): float64 throughout; the
// squared distances use |x|^2 + |y|^2 - 2 x.y from BLAS dgemm blocks (as the reference), and the
// kernel enters as expm1(-d^2 / (2 sigma^2)) = k - 1 (the constants cancel between the three
// means), which avoids summing values all close to 1. normalize: rows are divided by their L2
// norm in float64 first (the reference expects normalised embeddings; a zero row is an error).
// Errors: DataError for sigma <= 0 or non-finite, non-finite scale; NumericalError for a
// dimension mismatch, an empty set, a non-finite feature or a zero row with normalize.

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

struct CmmdOptions {
  double sigma = 10;
  bool normalize = true;
  double scale = 1000;
};

double cmmd(FeatureView reference, FeatureView evaluated,
            const CmmdOptions& options);  // biased V-statistic

}  // namespace gensweep::metrics
