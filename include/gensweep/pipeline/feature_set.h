#pragma once
// One dataset's features in one feature space, as the reduce stage sees them: float64 statistics
// on demand, raw valid rows on demand (loaded once, e.g. for the exact FD route when N <= D), or
// streamed block by block. A set backed by a store opens it once and reads everything through
// that handle; whether the store may be used was decided by the store catalogue, not here.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gensweep/core/matrix_view.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/metrics/statistics.h"

namespace gensweep::pipeline {

struct StoreState;  // pipeline/store_catalogue.h
class StoreRows;    // pipeline/store_rows.h

class FeatureSet {
 public:
  // From a store the catalogue found complete: opened once, its valid rows checked against the
  // catalogue's count; statistics and rows are read when first asked for.
  static FeatureSet from_store(const StoreState& state);
  // From a complete store at `path` (features files that are gensweep stores, tests): the same,
  // checking completeness itself (StoreError when incomplete).
  static FeatureSet from_store(const std::filesystem::path& path);
  // From features already in memory (external files, `compare` inputs).
  static FeatureSet from_matrix(FeatureMatrix matrix);
  // From statistics another tool wrote (stats.imported): a mean and a covariance, no rows.
  // `origin` says where they came from ("pytorch-fid .npz (mu, sigma) in /x/stats.npz").
  static FeatureSet from_statistics(metrics::GaussianStats stats, std::string origin);
  // The statistics in another tool's file (features/statistics_file.h), `entry` selecting one
  // set where it holds several. IoError naming the file when it holds none.
  static FeatureSet from_statistics_file(const std::filesystem::path& file,
                                         const std::string& entry = "");

  const metrics::GaussianStats& stats() const;  // loaded on first use
  // Rows; for imported statistics N when the file recorded it, else 0.
  std::int64_t count() const { return count_; }
  // Imported statistics only: no rows to read, so only metrics of the statistics can use it.
  bool statistics_only() const { return !origin_.empty(); }
  const std::string& origin() const { return origin_; }
  std::int64_t dim() const { return dim_; }
  const FeatureMatrix& features() const;  // valid rows, loaded on first use
  // features() and row_source() throw DataError for a statistics-only set.
  // The valid rows block by block: streamed from the store (nothing loaded), or a view of the
  // features in memory. Valid while this set lives.
  std::unique_ptr<metrics::RowSource> row_source() const;

 private:
  // The store opened once, read for statistics, all rows and blocks; null for sets made from a
  // matrix.
  std::shared_ptr<const StoreRows> store_;
  std::int64_t count_ = 0;
  std::int64_t dim_ = 0;
  mutable std::shared_ptr<metrics::GaussianStats> stats_;
  mutable std::shared_ptr<FeatureMatrix> features_;
  std::string origin_;  // imported statistics: where from; empty otherwise
};

}  // namespace gensweep::pipeline
