#pragma once
// Shared by gmm.cpp, kmeans.cpp and pca.cpp: row access in float64 blocks, and the seeded k-means
// that starts the GMM fit. Not part of the public API.

#include <cstdint>
#include <string_view>
#include <vector>

#include "gensweep/metrics/gmm.h"

namespace gensweep::metrics::gmm_detail {

// Rows are processed in blocks of this many, whatever the thread count: every per-row quantity is
// computed by the same code on the same block, and every sum runs over blocks in index order, so
// results do not depend on how blocks are spread over threads.
constexpr std::int64_t kBlockRows = 256;

inline std::int64_t block_count(std::int64_t n) {
  return (n + kBlockRows - 1) / kBlockRows;
}

// float32 or float64 rows, read as float64.
struct Rows {
  const float* f = nullptr;
  const double* d = nullptr;
  std::int64_t rows = 0, cols = 0;

  // Rows [begin, begin + count) into out [count x cols], widened to float64.
  void load(std::int64_t begin, std::int64_t count, double* out) const;
  double at(std::int64_t i, std::int64_t j) const {
    return f != nullptr ? static_cast<double>(f[i * cols + j]) : d[i * cols + j];
  }
};

inline Rows rows_of(FeatureView x) {
  return {x.data, nullptr, x.rows, x.cols};
}
inline Rows rows_of(DoubleView x) {
  return {nullptr, x.data, x.rows, x.cols};
}

// Throws NumericalError naming `what`, `which` set, the row and the column of the first
// non-finite value.
void check_finite(const Rows& x, std::string_view what, std::string_view which);

struct KMeansResult {
  std::vector<std::int64_t> labels;  // [N], in [0, K)
  std::vector<double> centres;       // [K * D]
  std::int64_t iterations = 0;       // Lloyd iterations run
};

// k-means++ (greedy, 2 + floor(ln K) local trials, as sklearn's _kmeans_plusplus) seeded with
// Rng(seed), then Lloyd iterations until the labels stop changing, the total squared centre shift
// is at most 1e-4 x the mean per-feature variance, or 300 iterations (sklearn's KMeans defaults).
// An empty cluster is moved onto the row farthest from its centre. Requires N >= K.
KMeansResult kmeans(const Rows& x, std::int64_t k, std::uint64_t seed, int threads);

}  // namespace gensweep::metrics::gmm_detail
