#pragma once
// The figures of a run, written to OUTPUT/figures/ as <stem>.pdf, <stem>.svg and <stem>.png:
//
//   heatmap_<metric>__vs__<reference>       every metric table: rows = evaluated sets, columns =
//                                           feature spaces, value printed in each cell, colour =
//                                           rank within its column (values in different spaces
//                                           are not comparable), best by the metric's direction;
//                                           uncoloured for metrics with no direction (rarity)
//   precision_recall__vs__<reference>       one panel per feature space: a point per evaluated set
//   density_coverage__vs__<reference>       (labelled), when both metrics were computed
//   distribution_<score>__vs__<reference>   rarity, giqa_knn, giqa_gmm: one panel per feature
//                                           space, one density-histogram curve per evaluated set,
//                                           on bins shared by the panel's curves
//   both_ways_rarity__<A>__<B>              comparisons with directions = "both": one panel per
//                                           feature space, one rarity curve per direction
//                                           (forward, backward, both self directions), on bins
//                                           shared by the panel's curves
//
// Stems follow the ids, which are file-name safe (lowercase [a-z0-9][a-z0-9_.-]*).

#include "gensweep/report/plot.h"
#include "gensweep/report/rankings.h"
#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <span>
#include <string>
#include <vector>

namespace gensweep::report {

inline constexpr int kHistogramBins = 24;

struct NamedFigure {
  std::string stem;  // file name without extension, inside figures/
  plot::Figure figure;
};

// Every figure the results and scores call for, in a fixed order: per reference (job order),
// heat maps (table order), the two scatters, then the distributions (rarity, giqa_knn, giqa_gmm).
std::vector<NamedFigure> build_figures(const RunResults& results,
                                       std::span<const SampleScores> scores,
                                       const TableOptions& options);

// The both-ways rarity figures alone (also part of build_figures, after everything else).
std::vector<NamedFigure> both_ways_rarity_figures(const RunResults& results,
                                                  std::span<const SampleScores> scores);

// The heat map of one table alone (a figure of its own in build_figures).
plot::Figure heat_map_figure(const ResultTable& table, const TableOptions& options);

}  // namespace gensweep::report
