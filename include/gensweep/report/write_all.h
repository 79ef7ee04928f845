#pragma once
// The report a run leaves behind: results.json, results.csv, results.md and results.tex in one
// directory.

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <filesystem>

namespace gensweep::report {

inline constexpr const char* kJsonFileName = "results.json";
inline constexpr const char* kCsvFileName = "results.csv";
inline constexpr const char* kMarkdownFileName = "results.md";
inline constexpr const char* kLatexFileName = "results.tex";

// Creates out_dir if needed and writes the three files, each atomically (atomic_file.h): a crash
// leaves every file either as it was or complete. All three are rendered before the first is
// written, so a rendering error changes nothing on disk. Throws IoError.
void write_all(const RunResults& results, const std::filesystem::path& out_dir,
               const TableOptions& options = {});

}  // namespace gensweep::report
