#pragma once
// The figures of a study (docs/STUDIES.md), written with the run's other figures:
//
//   study_<id>_<metric>_by_<level>       one panel per feature space: the metric against the level
//                                        (0 = the uncorrupted base), one curve per factor
//   study_<id>_<metric>_agreement        Kendall's tau-b (and Spearman's rho) between every pair of
//                                        feature spaces' rankings of the factors, as a heat map

#include <vector>

#include "gensweep/report/figures.h"
#include "gensweep/report/study_results.h"
#include "gensweep/report/tables.h"

namespace gensweep::report {

std::vector<NamedFigure> study_figures(const StudyResults& study, const TableOptions& options);

// The colour of an agreement in [-1, 1]: rank_colour's scale from green (1, the same ranking)
// through pale yellow (0) to red (-1, reversed); grey when undefined (NaN).
plot::Colour agreement_colour(double tau);
inline constexpr int kAgreementColourSteps = 21;

}  // namespace gensweep::report
