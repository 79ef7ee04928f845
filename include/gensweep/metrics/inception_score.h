#pragma once
// Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs"):
//   IS = exp( mean_x KL( p(y|x) || p(y) ) ),  p(y) = the mean of p(y|x) over the split,
// from classifier logits (METRICS.md §4). p(y|x) = softmax of the logits: for the published
// numbers, the 1008-way unbiased logits of the TF Inception graph (torch-fidelity
// `logits_unbiased`, StyleGAN `no_output_bias`); 1000-class torchvision logits give
// incomparable scores.
//
// Conventions:
// - split i covers rows [i N / splits, (i + 1) N / splits) (OpenAI, StyleGAN, torch-fidelity;
//   dgm-eval drops the remainder instead); the result is the mean and the population std
//   (ddof 0) of the per-split scores. Defaults: 10 splits.
// - computed in float64 with log-softmax (as torch-fidelity), so p log p never meets log 0:
//   KL_i = sum_c p_ic (log p_ic - log q_c), with log q_c = logsumexp_i(log p_ic) - log n.
// - ordering: unshuffled by default (OpenAI, StyleGAN; the portable value, golden to 1e-12).
//   torch-fidelity and dgm-eval shuffle with numpy's RandomState(2020).permutation(N), which
//   gensweep does not reproduce: shuffle_seed shuffles with gensweep's own Rng (Fisher-Yates,
//   Rng::below), and `permutation` takes an explicit order (e.g. numpy's, to reproduce
//   torch-fidelity exactly).
// Errors: DataError for splits < 1 or > N, a permutation that is not one of [0, N);
// NumericalError for non-finite logits.

#include <cstdint>
#include <optional>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

struct InceptionScoreOptions {
  std::int64_t splits = 10;
  std::optional<std::uint64_t> shuffle_seed{};
  // Explicit row order (size N, a permutation of 0..N-1): row permutation[k] goes to position k.
  // Takes precedence over shuffle_seed. Empty: unused.
  std::vector<std::int64_t> permutation{};
};

struct InceptionScoreResult {
  double mean = 0, std = 0;
  std::vector<double> per_split;
};

InceptionScoreResult inception_score(FeatureView logits, const InceptionScoreOptions& options);

}  // namespace gensweep::metrics
