#pragma once
// The both-ways tables and the rarest-image overlaps of comparisons with directions = "both"
// (docs/METRICS.md, "Both ways"), assembled on rank 0 from the reduce stage's entries and
// per-sample rarity scores: nothing here computes a metric.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gensweep/pipeline/metric_group.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

struct BothWaysOutput {
  std::vector<report::BothWaysTable> tables;          // plan.both_ways order
  std::vector<report::RarestOverlap> rarest_overlap;  // pair, direction, backbone pair
};

// Whether `metric` is a distance between two distributions, 0 for a set against itself by
// definition (fd, kid, fd_inf, cmmd): the both-ways table shows 0 there instead of computing
// it (docs/METRICS.md, "Both ways").
bool zero_against_itself(const std::string& metric);

// The k of the rarest-image overlap: max(1, round(fraction * rows)), at most rows.
std::int64_t rarest_count(double fraction, std::int64_t rows);

// The rows of the k largest rarity scores, largest first, ties to the lower row; scores of 0
// (outside every ball: no rarity) are never among them, so fewer than k rows may come back.
std::vector<std::int64_t> rarest_rows(std::span<const double> rarity, std::int64_t k);

// entries: the reduce stage's (every task's metrics); per_task: each reduction task's per-sample
// arrays (plan.reduction order; "rarity" per evaluated row where rarity was computed).
BothWaysOutput make_both_ways(const Plan& plan, std::span<const report::MetricEntry> entries,
                              std::span<const PerSampleArrays> per_task);

}  // namespace gensweep::pipeline
