#pragma once
// results.md: the tables a person reads first, in a terminal (`cat results.md`) or rendered on a
// forge. One table per (reference, metric): rows are evaluated datasets and columns backbones, both
// in job order; "—" where nothing was computed; values in fixed notation with the metric's decimals
// (TableOptions). Columns are padded so the raw text lines up: widths count UTF-8 code points, so
// East Asian wide characters in ids will misalign (the rendered table is still correct).
// A value computed through a numerical fallback (see fallback_note in tables.h) is flagged "†" and
// the fallback is listed under its table: it is never hidden.
//
//   ## fd, reference: clean
//
//   | evaluated | inception |   clip |
//   | :-------- | --------: | -----: |
//   | blur2     |   12.3456 | 0.5000 |
//   | noise     |         — | 1.0000 |

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <filesystem>
#include <string>

namespace gensweep::report {

// The result tables only, each under a "## metric, reference: id" heading, separated by blank
// lines; "" when there are no entries.
std::string markdown_tables(const RunResults& results, const TableOptions& options = {});

// The whole of results.md: a title and the run's provenance, the result tables, the datasets (with
// failed-image counts), the backbones, and the warnings.
std::string markdown_report(const RunResults& results, const TableOptions& options = {});

// Writes markdown_report atomically. Throws IoError.
void write_markdown(const RunResults& results, const std::filesystem::path& path,
                    const TableOptions& options = {});

}  // namespace gensweep::report
