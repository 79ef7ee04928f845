#pragma once
// One dataset's features in one feature space, as the reduce stage sees them: float64 statistics
// on demand, raw valid rows on demand (loaded once, e.g. for the exact FD route when N <= D).

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gensweep/core/matrix_view.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/metrics/statistics.h"

namespace gensweep::pipeline {

class FeatureSet {
 public:
  // From a complete store (statistics read from it; features read lazily).
  static FeatureSet from_store(const std::filesystem::path& path);
  // From features already in memory (external files, `compare` inputs).
  static FeatureSet from_matrix(FeatureMatrix matrix);

  const metrics::GaussianStats& stats() const;  // loaded on first use
  std::int64_t count() const { return count_; }
  std::int64_t dim() const { return dim_; }
  const FeatureMatrix& features() const;  // valid rows, loaded on first use
  // The valid rows block by block: streamed from the store (nothing loaded), or a view of the
  // features in memory. Valid while this set lives.
  std::unique_ptr<metrics::RowSource> row_source() const;

 private:
  std::filesystem::path store_;  // empty for sets made from a matrix
  std::int64_t count_ = 0;
  std::int64_t dim_ = 0;
  std::function<FeatureMatrix()> loader_;
  std::function<metrics::GaussianStats()> stats_loader_;
  mutable std::shared_ptr<metrics::GaussianStats> stats_;
  mutable std::shared_ptr<FeatureMatrix> features_;
};

}  // namespace gensweep::pipeline
