#pragma once
// What the report's pictures need from a finished reduction (report/visual_outputs.h): the
// per-image scores (rarity, giqa_knn, giqa_gmm) read back from the per-sample files, each value
// paired with its image's id and index through the evaluated store's valid rows, and the images
// that the contact sheets show, decoded again from their sources (ImageSource::load: a derived
// set's distortion is applied again, so the sheet shows what the backbone saw before resizing).
// Rank 0 only, after results.json is written.

#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"
#include "gensweep/report/visual_outputs.h"

namespace gensweep::pipeline {

report::VisualInputs collect_visual_inputs(const Plan& plan, const report::RunResults& results);

}  // namespace gensweep::pipeline
