#pragma once
// A complete store's valid rows as a metrics::RowSource: the store opened once, its valid mask
// read once, blocks of rows read through that handle (runs of consecutive store rows in one call).
// FeatureSet reads statistics and all rows through the same handle.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "gensweep/metrics/row_source.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

class StoreRows final : public metrics::RowSource {
 public:
  // Opens `path` for reading. Completeness is the caller's question (the store catalogue).
  explicit StoreRows(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const store::FeatureStore& store() const { return store_; }

  std::int64_t rows() const override { return static_cast<std::int64_t>(rows_.size()); }
  std::int64_t dim() const override { return store_.layout().dim; }
  void read(std::int64_t begin, std::int64_t count, float* out) const override;

 private:
  std::filesystem::path path_;
  store::FeatureStore store_;
  std::vector<std::int64_t> rows_;  // store row of each valid row
};

}  // namespace gensweep::pipeline
