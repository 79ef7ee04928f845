#pragma once
// The reduce stage: stores -> statistics / features -> metrics -> results.

#include <vector>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/extract.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

struct ReductionOutput {
  std::vector<report::MetricEntry> entries;       // task order, each task's metrics in job order
  std::vector<report::PerSampleFile> per_sample;  // written by rank 0
};

// Collective. Metrics that share work are computed together (metric_table.h: groups): groups one
// rank computes alone are dealt round-robin, collective ones (the k-NN metrics) use every rank.
// Per-sample arrays (rarity, GIQA, realism, nearest reference, radii) go to one HDF5 file per
// task (per_sample_path). The output is complete on rank 0 only.
ReductionOutput run_reduction(const Plan& plan, const dist::Comm& comm);

// <output>/per_sample/<evaluated>__vs__<reference>__<backbone>.h5
std::filesystem::path per_sample_path(const Plan& plan, const ReductionTask& task);

}  // namespace gensweep::pipeline
