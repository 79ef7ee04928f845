#pragma once
// A study's results arranged for the writers (Markdown, LaTeX, CSV, figures, report.html), so
// that every format shows the same grid: per (backbone, metric), rows = factors in the study's
// order, columns = levels, plus the base's value, each factor's mean and its rank.

#include <optional>
#include <string>
#include <vector>

#include <set>
#include <utility>

#include "gensweep/report/results.h"
#include "gensweep/report/study_results.h"

namespace gensweep::report {

struct StudyGrid {
  std::string backbone;
  std::string metric;
  double base = 0;                        // the base set's value (level 0); NaN when missing
  std::optional<double> base_normalised;  // the base's normalised value
  std::vector<std::string> factors;       // rows
  std::vector<double> levels;             // columns
  std::vector<double> values;             // rows x columns, row-major; NaN where missing
  std::vector<std::optional<double>> normalised;  // same shape
  std::vector<std::optional<double>> stds;        // same shape: the spread over draws
  std::vector<double> means;                      // per row: the ranking's score, NaN when unranked
  std::vector<int> ranks;                         // per row: 1 = most affected; 0 when unranked

  // What the values were divided by (value / normalised of a cell that has both), or nullopt.
  std::optional<double> normalised_divisor() const;
};

// (reference, evaluated) of every study cell but the base: entries that the plain tables and
// figures leave to the study's own.
std::set<std::pair<std::string, std::string>> study_cell_pairs(const RunResults& results);

// A level as tables spell it: the shortest text that reads back to it ("3", "0.25").
std::string level_text(double level);

// One grid per (backbone, metric), backbones outermost, in the study's orders.
std::vector<StudyGrid> study_grids(const StudyResults& study);

// The agreement matrix's cell (i, j), NaN when out of range.
double agreement_at(const std::vector<double>& matrix, std::size_t n, std::size_t i, std::size_t j);

// The CSV files of the studies (empty strings when the run has none):
//   studies.csv: study, factor, level, backbone, metric, dataset, value, draws, std, normalised,
//                rank
//   study_agreement.csv: study, metric, backbone_a, backbone_b, kendall_tau, spearman_rho
inline constexpr const char* kStudiesCsvFileName = "studies.csv";
inline constexpr const char* kStudyAgreementCsvFileName = "study_agreement.csv";
std::string studies_csv(const std::vector<StudyResults>& studies);
std::string study_agreement_csv(const std::vector<StudyResults>& studies);

}  // namespace gensweep::report
