#pragma once
// The reduce stage: stores -> statistics / features -> metrics -> results. Reduction tasks are
// dealt round-robin to ranks; results are gathered to rank 0 in task order.

#include <vector>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/extract.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

// Collective. The returned entries are complete on rank 0 only.
std::vector<report::MetricEntry> run_reduction(const Plan& plan, const dist::Comm& comm);

}  // namespace gensweep::pipeline
