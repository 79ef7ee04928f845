#pragma once
// A study's tables from the entries of the comparison it generated (docs/STUDIES.md): the value at
// every cell, normalised by the study's reference cell, the ranking of the factors per feature
// space and metric, and Kendall's tau-b and Spearman's rho between every pair of feature spaces.
// Pure: it reads entries and the plan, so that `gensweep report` and tests can call it alike.

#include <vector>

#include "gensweep/pipeline/plan.h"
#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

namespace gensweep::pipeline {

// `options.better` gives each metric's direction; metrics without one (rarity) get values but no
// ranking or agreement. A cell whose entry is missing gets a NaN value; a factor with a NaN or
// infinite mean is left out of that backbone's ranking and of the agreement between spaces.
report::StudyResults analyse_study(const StudyPlan& study,
                                   const std::vector<report::MetricEntry>& entries,
                                   const report::TableOptions& options);

std::vector<report::StudyResults> analyse_studies(const std::vector<StudyPlan>& studies,
                                                  const std::vector<report::MetricEntry>& entries,
                                                  const report::TableOptions& options);

}  // namespace gensweep::pipeline
