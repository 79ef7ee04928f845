#pragma once
// The grid that every human-readable writer (Markdown, LaTeX, later HTML) draws: one table per
// (reference, metric), rows = evaluated datasets, columns = backbones, both in job order, plus the
// display precision of each metric.

#include "gensweep/report/results.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::report {

// Which way a metric improves (declared in the pipeline's metric table): lower (FD, KID), higher
// (precision, Inception Score), or neither (rarity, a description rather than a score).
enum class Better { kNeither, kLower, kHigher };

// "lower is better", "higher is better" or "no better direction", for captions and titles.
std::string_view direction_words(Better better);

// How a metric is shown: decimals (fixed notation, "%.Nf"), which value is best, and whether its
// spread goes beside it. Display only: JSON and CSV always carry the full double.
struct TableOptions {
  int default_decimals = 4;  // FD, precision/recall, density/coverage read well at 4
  // Per-metric overrides. KID values are ~1e-3, so 4 decimals would leave one significant digit.
  std::map<std::string, int, std::less<>> decimals = {{"kid", 6}};
  // Per metric; a metric not listed has no best value (nothing is marked).
  std::map<std::string, Better, std::less<>> better;
  // Show "value ± std" where the entry's diagnostics have a "std" (KID, IS), else "value [low,
  // high]" where they have a confidence interval (ci_low, ci_high).
  bool show_spread = false;

  int decimals_for(std::string_view metric) const;
  Better better_for(std::string_view metric) const;
};

struct ResultTable {
  std::string reference;
  std::string metric;
  std::vector<std::string> rows;     // evaluated dataset ids that have an entry, in job order
  std::vector<std::string> columns;  // backbone ids that have an entry, in job order
  // rows x columns, row-major; nullptr where nothing was computed. Points into the RunResults the
  // table was built from, which must outlive it.
  std::vector<const MetricEntry*> cells;

  const MetricEntry* at(std::size_t row, std::size_t column) const {
    return cells[row * columns.size() + column];
  }
};

// Tables ordered by reference (job order of datasets), then metric (order of first appearance in
// the entries). Ids an entry uses but the job does not list come after the listed ones, in order of
// first appearance. Of duplicated entries the first is shown (find_problems reports them).
std::vector<ResultTable> build_tables(const RunResults& results);

// Fixed notation with `decimals` digits; "nan", "inf", "-inf" for non-finite values; never
// "-0.0000" (a value that rounds to zero is shown without a sign).
std::string format_fixed(double value, int decimals);

// The numerical fallback that changed an entry's value, in words, or "" when it was computed the
// normal way: diagnostics "fallback" (a non-empty string), else a positive "regularization"
// ("eps=1e-06 added to the covariance diagonals"). Writers flag such cells.
std::string fallback_note(const MetricEntry& entry);

// Terminal columns taken by UTF-8 text, for padding aligned tables: one per code point. Wide (East
// Asian) characters count as one and will misalign; the rendered table is still correct.
std::size_t display_width(std::string_view text);

}  // namespace gensweep::report
