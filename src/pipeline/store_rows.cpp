#include "gensweep/pipeline/store_rows.h"

#include "gensweep/core/error.h"

namespace gensweep::pipeline {

StoreRows::StoreRows(const std::filesystem::path& path)
    : path_(path), store_(store::FeatureStore::open_read(path)) {
  const auto valid = store_.read_valid();
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(valid.size()); ++i)
    if (valid[i]) rows_.push_back(i);
}

void StoreRows::read(std::int64_t begin, std::int64_t count, float* out) const {
  GENSWEEP_ASSERT(begin >= 0 && count >= 0 && begin + count <= rows(), "store rows: [{}, {}) of {}",
                  begin, begin + count, rows());
  std::int64_t i = begin;
  while (i < begin + count) {
    std::int64_t j = i + 1;
    while (j < begin + count && rows_[j] == rows_[j - 1] + 1)
      ++j;
    store_.read_features(rows_[i], j - i, out + (i - begin) * dim());
    i = j;
  }
}

}  // namespace gensweep::pipeline
