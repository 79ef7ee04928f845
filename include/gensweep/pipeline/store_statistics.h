#pragma once
// Float64 statistics (count, mean, centred scatter) of a store's valid rows.

#include <filesystem>

#include "gensweep/dist/comm.h"
#include "gensweep/metrics/statistics.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

// Collective. Computes and writes the statistics of a complete store that has none yet: blocks of
// kStatisticsBlockUnits units are dealt round-robin, each rank computes its blocks' statistics,
// rank 0 merges them in block order (bitwise independent of the number of ranks).
void ensure_store_statistics(const std::filesystem::path& path, const dist::Comm& comm);

metrics::GaussianStats to_gaussian_stats(const store::StoredStatistics& stored, std::int64_t dim);
store::StoredStatistics to_stored_statistics(const metrics::GaussianStats& stats);

// Valid rows only, in store order.
FeatureMatrix read_valid_features(const store::FeatureStore& store);

}  // namespace gensweep::pipeline
