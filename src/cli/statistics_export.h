#pragma once
// A store's statistics as pytorch-fid's .npz with a provenance sidecar: what `gensweep export
// --stats` and `gensweep compare --save-stats` write, one writer for both.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "gensweep/store/feature_store.h"

namespace gensweep::cli {

// The store's provenance and facts, for a sidecar file.
nlohmann::json provenance_of(const std::filesystem::path& path, const store::FeatureStore& st,
                             std::int64_t rows);

// mu (float64 mean) and sigma (float64 covariance, denominator N-1) of the store's valid rows to
// `out` (deflated unless !compress), provenance to `out`.json. Never replaces a file: IoError when
// either exists; StoreError when the store has no statistics; DataError below 2 rows.
void export_statistics(const std::filesystem::path& store_path, const store::FeatureStore& st,
                       const std::filesystem::path& out, bool compress);

// IoError unless `out` ends in .npz and neither it nor its sidecar exists: checked before any
// work, so that a long run never ends by refusing to write its result.
void check_statistics_target(const std::filesystem::path& out, const std::string& flag);

}  // namespace gensweep::cli
