#pragma once
// The metric groups of the table (metric_table.cpp), one file each. Private to the pipeline
// module.

#include <cstdint>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/pipeline/metric_group.h"

namespace gensweep::pipeline::groups {

const MetricGroup& fd();
const MetricGroup& kid();
const MetricGroup& inception_score();
const MetricGroup& manifold();
const MetricGroup& gmm();
const MetricGroup& fd_infinity();
const MetricGroup& cmmd();
const MetricGroup& vendi();

inline constexpr double kIntMax = 9.2e18;  // "no upper bound" for integers (below INT64_MAX)
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// DataError unless both sets have the same dimension (`metric` names the group's members).
inline void check_same_dimension(const GroupRequest& request, const char* metric) {
  if (request.reference.dim() == request.evaluated.dim()) return;
  // Imported statistics are the likely culprit: say which file, and what to check.
  std::string imported;
  for (const auto* set : {&request.reference, &request.evaluated}) {
    if (set->statistics_only())
      imported += fmt::format(
          "; {} statistics are imported ({}): were they made with this "
          "backbone and layer?",
          set == &request.reference ? "the reference" : "the evaluated", set->origin());
  }
  throw DataError(
      fmt::format("{}: the reference features have dimension {} but the evaluated "
                  "ones {}{}",
                  metric, request.reference.dim(), request.evaluated.dim(), imported));
}

}  // namespace gensweep::pipeline::groups
