#pragma once
// Which images a `source = "mixture"` dataset holds (config::MixtureSource): a seeded draw of
// `size` of the base dataset's images, a share of which is replaced by their counterfactuals (the
// image of the counterfactual dataset with the same id).
//
// The draw: Fisher-Yates over the base indices 0..n-1 with gensweep's Rng(seed) (core/random.h,
// the same numbers on every machine), stopped after `size` steps, gives the set's order; the first
// round(proportion * size) (half to even) of it come from the counterfactual dataset, the rest
// from the base. It depends on (n, proportion, size, seed) only, never on ranks or threads. For
// one seed and size every proportion draws the same ids in the same order, and a larger proportion
// replaces a superset of the images a smaller one replaces: a sweep over proportions changes only
// how many of one fixed set are counterfactual, so the curve is not confounded by which ids were
// drawn.

#include <cstdint>
#include <vector>

namespace gensweep::pipeline {

struct MixturePick {
  std::int64_t base_index = 0;  // position in the base dataset (and the id shared with its twin)
  bool counterfactual = false;  // taken from the counterfactual dataset
  bool operator==(const MixturePick&) const = default;
};

// round(proportion * size), half to even: how many of the set are counterfactual.
std::int64_t counterfactual_count(double proportion, std::int64_t size);

// The set, in its order. Throws DataError when size is not in 1..base_count or proportion not in
// 0..1 (the job loader checks the proportion and size >= 1; base_count is known only here).
std::vector<MixturePick> draw_mixture(std::int64_t base_count, double proportion, std::int64_t size,
                                      std::uint64_t seed);

}  // namespace gensweep::pipeline
