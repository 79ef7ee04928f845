#pragma once
// A whole job: extract, then reduce, then the report files. Collective: every rank calls it.

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/extract.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

struct Stages {
  bool extract = true;
  bool reduce = true;
};

// Returns the results (complete on rank 0). Rank 0 writes results.json/.csv/.md/.tex into the
// output directory when the reduce stage ran, then figures/, rankings/, contact_sheets/ and
// report.html (report/visual_outputs.h). Throws IoError when more images failed to decode than
// compute.max_failed_images allows (the stores stay complete on disk).
report::RunResults run_job(const Plan& plan, const dist::Comm& comm, const RunOptions& options,
                           const Stages& stages);

}  // namespace gensweep::pipeline
