#pragma once
// The tables of comparisons with directions = "both" (docs/METRICS.md, "Both ways"), in every
// table format of a run:
//
//   both_ways.csv        one record per (pair, backbone, direction, metric): pair_reference,
//                        pair_evaluated, backbone, direction, reference, evaluated, leave_one_out,
//                        metric, value (empty when not computed), by_definition (true when 0 by
//                        definition: FD or KID of a set against itself)
//   rarest_overlap.csv   one record per (pair, direction, backbone pair): reference, evaluated,
//                        direction, backbone_a, backbone_b, k, jaccard
//   results.md / .tex    a section per pair and backbone: rows = the four directions, columns =
//                        the metrics; then the rarest-image overlaps
//
// Each is empty when the run has no both-ways comparison (write_all then writes no CSV file and
// adds no section).

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <string>

namespace gensweep::report {

inline constexpr const char* kBothWaysCsvFileName = "both_ways.csv";
inline constexpr const char* kRarestOverlapCsvFileName = "rarest_overlap.csv";

std::string both_ways_csv(const RunResults& results);
std::string rarest_overlap_csv(const RunResults& results);
std::string both_ways_markdown(const RunResults& results, const TableOptions& options);
std::string both_ways_latex(const RunResults& results, const TableOptions& options);

}  // namespace gensweep::report
