#include "gensweep/pipeline/mixture_draw.h"

#include <cmath>
#include <numeric>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"

namespace gensweep::pipeline {

std::int64_t counterfactual_count(double proportion, std::int64_t size) {
  // nearbyint rounds half to even in the default rounding mode, as every other rounding in
  // gensweep does.
  return static_cast<std::int64_t>(std::nearbyint(proportion * static_cast<double>(size)));
}

std::vector<MixturePick> draw_mixture(std::int64_t base_count, double proportion, std::int64_t size,
                                      std::uint64_t seed) {
  GENSWEEP_CHECK(proportion >= 0.0 && proportion <= 1.0, DataError,
                 "mixture: proportion {} is outside 0..1", proportion);
  GENSWEEP_CHECK(size >= 1 && size <= base_count, DataError,
                 "mixture: size {} is not in 1..{} (the base dataset's images)", size, base_count);
  std::vector<std::int64_t> order(static_cast<std::size_t>(base_count));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  Rng rng(seed);
  for (std::int64_t k = 0; k < size; ++k) {
    const auto j =
        k + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(base_count - k)));
    std::swap(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(j)]);
  }
  const std::int64_t from_counterfactual = counterfactual_count(proportion, size);
  std::vector<MixturePick> picks(static_cast<std::size_t>(size));
  for (std::int64_t k = 0; k < size; ++k)
    picks[static_cast<std::size_t>(k)] = {order[static_cast<std::size_t>(k)],
                                          k < from_counterfactual};
  return picks;
}

}  // namespace gensweep::pipeline
