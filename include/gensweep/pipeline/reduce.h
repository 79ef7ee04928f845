#pragma once
// The reduce stage: stores -> statistics / features -> metrics -> results.

#include <vector>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/extract.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

struct ReductionOutput {
  std::vector<report::MetricEntry> entries;       // task order, each task's metrics in job order
  std::vector<report::PerSampleFile> per_sample;  // written by rank 0
  // Row cache and reference-structure cache counts (the same on every rank).
  report::CacheSummary cache;
  // Comparisons with directions = "both" (pipeline/both_ways.h), rank 0.
  std::vector<report::BothWaysTable> both_ways;
  std::vector<report::RarestOverlap> rarest_overlap;
};

// Collective. Metrics that share work are computed together (metric_table.h: groups): groups one
// rank computes alone are dealt round-robin, collective ones (the k-NN metrics) use every rank.
// Per-sample arrays (rarity, GIQA, realism, nearest reference, radii) go to one HDF5 file per
// task (per_sample_path). The output is complete on rank 0 only.
//
// Caching (docs/METRICS.md, "Caching"): rank 0 looks every item up in the row cache
// (pipeline/result_cache.h, <output>/cache/rows) and broadcasts which are reused, so every rank
// skips the same collective groups; only the others are computed, and rank 0 adds them to the
// cache after writing the per-sample files. Reused entries keep their original diagnostics plus
// "cached": true and "cached_utc". Groups take reference-only structures (k-NN radii, GMM fits)
// from the reference-structure cache (pipeline/reference_cache.h) and add the ones they compute.
// Cached or not, every value is bit for bit the one a fresh computation gives.
// Every store of `catalogue` must be complete (require_complete): their identities key the caches.
ReductionOutput run_reduction(const Plan& plan, const dist::Comm& comm,
                              const StoreCatalogue& catalogue);

// <output>/per_sample/<evaluated>__vs__<reference>__<backbone>.h5
std::filesystem::path per_sample_path(const Plan& plan, const ReductionTask& task);

}  // namespace gensweep::pipeline
