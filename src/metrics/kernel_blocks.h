#pragma once
// Blocked kernel sums shared by KID and CMMD (private to the metrics library): rows are gathered
// block by block into float64, Gram blocks come from BLAS (dsyrk on a set's diagonal blocks,
// dgemm elsewhere), and the kernel is applied to each block in place, so memory is
// O(block^2 + block D) whatever N is. In the style of faiss's tiled distances: one GEMM per tile,
// each tile handed to a consumer.

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics::detail {

// Rows per Gram block: 1024 x 1024 doubles (8 MiB) keeps dgemm at full speed.
inline constexpr std::int64_t kKernelBlock = 1024;

// Throws NumericalError "<what>: <set>: ..." for an invalid view or a non-finite feature.
inline void check_finite_features(FeatureView rows, std::string_view what, std::string_view set) {
  GENSWEEP_CHECK(rows.rows >= 0 && rows.cols >= 0 && (rows.data != nullptr || rows.size() == 0),
                 NumericalError, "{}: {}: invalid feature matrix {} x {}", what, set, rows.rows,
                 rows.cols);
  for (std::int64_t i = 0; i < rows.rows; ++i) {
    const float* x = rows.row(i);
    bool finite = true;
    for (std::int64_t j = 0; j < rows.cols; ++j)
      finite &= std::isfinite(x[j]);
    if (finite) continue;
    for (std::int64_t j = 0; j < rows.cols; ++j) {
      GENSWEEP_CHECK(std::isfinite(x[j]), NumericalError,
                     "{}: {}: non-finite feature {} at row {}, column {} of {} x {}", what, set,
                     x[j], i, j, rows.rows, rows.cols);
    }
  }
}

// A set of rows: all rows of `rows`, or rows[index[0 .. count)] when index is given; with
// normalize, each row divided by its L2 norm (computed in float64).
struct RowSource {
  FeatureView rows;
  const std::int64_t* index = nullptr;  // [count] or nullptr
  std::int64_t count = 0;
  bool normalize = false;
  std::string_view what;  // for the zero-row error

  // out [n x D] row-major float64 = rows start .. start + n.
  void gather(std::int64_t start, std::int64_t n, double* out) const {
    const std::int64_t d = rows.cols;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t r = index != nullptr ? index[start + k] : start + k;
      const float* x = rows.row(r);
      double* y = out + k * d;
      for (std::int64_t j = 0; j < d; ++j)
        y[j] = static_cast<double>(x[j]);
      if (!normalize) continue;
      double sq = 0.0;
      for (std::int64_t j = 0; j < d; ++j)
        sq += y[j] * y[j];
      GENSWEEP_CHECK(sq > 0.0, NumericalError, "{}: row {} has norm 0 and cannot be L2-normalised",
                     what, r);
      const double inv = 1.0 / std::sqrt(sq);
      for (std::int64_t j = 0; j < d; ++j)
        y[j] *= inv;
    }
  }
};

inline RowSource all_rows(FeatureView rows, bool normalize = false, std::string_view what = {}) {
  return RowSource{rows, nullptr, rows.rows, normalize, what};
}

inline RowSource indexed_rows(FeatureView rows, const std::int64_t* index, std::int64_t count) {
  return RowSource{rows, index, count, false, {}};
}

inline void squared_norms(const double* x, std::int64_t n, std::int64_t d, double* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (std::int64_t j = 0; j < d; ++j)
      s += x[i * d + j] * x[i * d + j];
    out[i] = s;
  }
}

// A Gram tile handed to a consumer: values[i * cols + j] = kernel(row i0 + i, row j0 + j) for the
// full rows x cols tile (diagonal tiles are mirrored to full squares).
struct KernelTile {
  std::int64_t i0, j0, rows, cols;
  bool diagonal;  // a tile of a set against itself with i0 == j0
  const double* values;
};

struct NoTileConsumer {
  void operator()(const KernelTile&) const {}
};

// Sums of kernel(a_i, b_j) over a set against itself or two sets. `kernel(dot, sq_i, sq_j)` maps
// the inner product and the squared norms to the kernel value. Returned sums are accumulated per
// tile row, then per tile, in float64.
template <class Kernel, class Consumer = NoTileConsumer>
class KernelSums {
 public:
  KernelSums(const Kernel& kernel, Consumer consumer = {}) : kernel_(kernel), consumer_(consumer) {}

  // Sum over ordered pairs i != j of one set; `diagonal` receives the sum over i == j.
  double within(const RowSource& s, double& diagonal) {
    const std::int64_t n = s.count, d = s.rows.cols, b = kKernelBlock;
    a_.resize(static_cast<std::size_t>(std::min(n, b) * d));
    c_.resize(a_.size());
    na_.resize(static_cast<std::size_t>(std::min(n, b)));
    nc_.resize(na_.size());
    g_.resize(static_cast<std::size_t>(std::min(n, b) * std::min(n, b)));
    double off = 0.0;
    diagonal = 0.0;
    for (std::int64_t i0 = 0; i0 < n; i0 += b) {
      const std::int64_t bi = std::min(b, n - i0);
      s.gather(i0, bi, a_.data());
      squared_norms(a_.data(), bi, d, na_.data());
      // Diagonal tile: dsyrk fills the upper triangle of A A^T.
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blas(bi), blas(d), 1.0, a_.data(),
                  blas(d), 0.0, g_.data(), blas(bi));
      double tile_off = 0.0, tile_diag = 0.0;
      for (std::int64_t i = 0; i < bi; ++i) {
        double* gi = g_.data() + i * bi;
        gi[i] = kernel_(gi[i], na_[i], na_[i]);
        tile_diag += gi[i];
        double row = 0.0;
        for (std::int64_t j = i + 1; j < bi; ++j) {
          gi[j] = kernel_(gi[j], na_[i], na_[j]);
          row += gi[j];
        }
        tile_off += row;
      }
      off += 2.0 * tile_off;
      diagonal += tile_diag;
      if constexpr (!kNoConsumer) {
        for (std::int64_t i = 0; i < bi; ++i)
          for (std::int64_t j = 0; j < i; ++j)
            g_[i * bi + j] = g_[j * bi + i];
        consumer_(KernelTile{i0, i0, bi, bi, true, g_.data()});
      }
      for (std::int64_t j0 = i0 + b; j0 < n; j0 += b) {
        const std::int64_t bj = std::min(b, n - j0);
        s.gather(j0, bj, c_.data());
        squared_norms(c_.data(), bj, d, nc_.data());
        off += 2.0 * cross_tile(bi, bj, d);
        if constexpr (!kNoConsumer) consumer_(KernelTile{i0, j0, bi, bj, false, g_.data()});
      }
    }
    return off;
  }

  // Sum over all pairs (i, j) of x against y.
  double cross(const RowSource& x, const RowSource& y) {
    const std::int64_t d = x.rows.cols, b = kKernelBlock;
    const std::int64_t bx = std::min(x.count, b), by = std::min(y.count, b);
    a_.resize(static_cast<std::size_t>(bx * d));
    c_.resize(static_cast<std::size_t>(by * d));
    na_.resize(static_cast<std::size_t>(bx));
    nc_.resize(static_cast<std::size_t>(by));
    g_.resize(static_cast<std::size_t>(bx * by));
    double total = 0.0;
    for (std::int64_t i0 = 0; i0 < x.count; i0 += b) {
      const std::int64_t bi = std::min(b, x.count - i0);
      x.gather(i0, bi, a_.data());
      squared_norms(a_.data(), bi, d, na_.data());
      for (std::int64_t j0 = 0; j0 < y.count; j0 += b) {
        const std::int64_t bj = std::min(b, y.count - j0);
        y.gather(j0, bj, c_.data());
        squared_norms(c_.data(), bj, d, nc_.data());
        total += cross_tile(bi, bj, d);
        if constexpr (!kNoConsumer) consumer_(KernelTile{i0, j0, bi, bj, false, g_.data()});
      }
    }
    return total;
  }

  Consumer& consumer() { return consumer_; }

 private:
  static constexpr bool kNoConsumer = std::is_same_v<Consumer, NoTileConsumer>;

  static blasint blas(std::int64_t n) { return static_cast<blasint>(n); }

  // g_ [bi x bj] = kernel(A C^T); returns its sum.
  double cross_tile(std::int64_t bi, std::int64_t bj, std::int64_t d) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas(bi), blas(bj), blas(d), 1.0,
                a_.data(), blas(d), c_.data(), blas(d), 0.0, g_.data(), blas(bj));
    double tile = 0.0;
    for (std::int64_t i = 0; i < bi; ++i) {
      double* gi = g_.data() + i * bj;
      double row = 0.0;
      for (std::int64_t j = 0; j < bj; ++j) {
        gi[j] = kernel_(gi[j], na_[i], nc_[j]);
        row += gi[j];
      }
      tile += row;
    }
    return tile;
  }

  Kernel kernel_;
  Consumer consumer_;
  std::vector<double> a_, c_, na_, nc_, g_;
};

}  // namespace gensweep::metrics::detail
