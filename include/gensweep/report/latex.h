#pragma once
// A LaTeX table (booktabs) for one (reference, metric): the table a paper prints. Same grid and
// precision as the Markdown tables (tables.h); needs \usepackage{booktabs}. Missing cells are
// "---", non-finite values "NaN", "$\infty$", "$-\infty$", and a value computed through a numerical
// fallback (fallback_note in tables.h) carries "$^\dagger$" with the fallback listed in a comment
// above the table. The source is column-aligned so that it diffs and edits well.

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <string>
#include <string_view>

namespace gensweep::report {

// A tabular environment (no float, no caption: the paper decides those). Throws DataError naming
// the (reference, metric) pairs available when the results have no entry for this one.
std::string latex_table(const RunResults& results, std::string_view reference,
                        std::string_view metric, const TableOptions& options = {});

// The same for a table already built (build_tables). With options.better, each column's best value
// is bold; with options.show_spread, spreads stand beside values.
std::string latex_tabular(const ResultTable& table, const TableOptions& options = {});

// results.tex: every (reference, metric) table of the results as a table float with a caption
// naming the metric, which way it improves and the reference. For \input into a paper that loads
// booktabs.
std::string latex_document(const RunResults& results, const TableOptions& options);

// Escapes LaTeX's special characters (\ & % $ # _ { } ~ ^) in text.
std::string latex_escape(std::string_view text);

}  // namespace gensweep::report
