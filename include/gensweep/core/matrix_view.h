#pragma once
// Light, non-owning views of row-major matrices. Features are float32 [rows x cols]; statistics
// and every accumulation feeding a published number are float64.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gensweep {

template <typename T>
struct MatrixView {
  T* data = nullptr;  // row-major, rows * cols elements
  std::int64_t rows = 0;
  std::int64_t cols = 0;

  T* row(std::int64_t i) const { return data + i * cols; }
  std::int64_t size() const { return rows * cols; }
  bool empty() const { return rows == 0; }
};

using FeatureView = MatrixView<const float>;
using MutableFeatureView = MatrixView<float>;

// An owning row-major float32 matrix.
struct FeatureMatrix {
  std::vector<float> values;  // rows * cols
  std::int64_t rows = 0;
  std::int64_t cols = 0;

  FeatureMatrix() = default;
  FeatureMatrix(std::int64_t r, std::int64_t c)
      : values(static_cast<std::size_t>(r * c)), rows(r), cols(c) {}

  FeatureView view() const { return {values.data(), rows, cols}; }
  MutableFeatureView mutable_view() { return {values.data(), rows, cols}; }
  float* row(std::int64_t i) { return values.data() + i * cols; }
  const float* row(std::int64_t i) const { return values.data() + i * cols; }
};

}  // namespace gensweep
