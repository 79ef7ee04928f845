#pragma once
// Feature rows read block by block: from memory (MatrixRowSource), or streamed from a store
// (pipeline::open_store_rows). The k-NN engine (knn.h) and the distributed manifold driver
// (pipeline/manifold.h) only ever hold a bounded number of rows of a RowSource at a time.

#include <cstdint>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

// Feature rows read block by block: from memory, or streamed from a store.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual std::int64_t rows() const = 0;
  virtual std::int64_t dim() const = 0;
  // Copies rows [begin, begin + count) into out (count * dim floats, row-major).
  virtual void read(std::int64_t begin, std::int64_t count, float* out) const = 0;
};

// A non-owning view of an in-memory row-major float32 matrix; the matrix must outlive it.
class MatrixRowSource final : public RowSource {  // non-owning view
 public:
  explicit MatrixRowSource(FeatureView view);
  std::int64_t rows() const override { return view_.rows; }
  std::int64_t dim() const override { return view_.cols; }
  void read(std::int64_t begin, std::int64_t count, float* out) const override;
  FeatureView view() const { return view_; }

 private:
  FeatureView view_;
};

}  // namespace gensweep::metrics
