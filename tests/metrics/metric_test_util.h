#pragma once
// Small helpers shared by the metrics tests: relative errors and seeded feature matrices.

#include <cmath>
#include <cstdint>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "gensweep/core/random.h"

namespace gensweep::testing {

inline double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

// rows x cols, row-major, from literal values.
inline FeatureMatrix matrix(std::int64_t rows, std::int64_t cols,
                            const std::vector<float>& values) {
  FeatureMatrix m(rows, cols);
  m.values = values;
  return m;
}

// Independent standard normal entries plus `shift`, from gensweep's seeded generator.
inline FeatureMatrix gaussian(std::int64_t rows, std::int64_t cols, std::uint64_t seed,
                              double shift = 0) {
  FeatureMatrix m(rows, cols);
  Rng rng(seed);
  for (auto& v : m.values)
    v = static_cast<float>(rng.normal() + shift);
  return m;
}

}  // namespace gensweep::testing
