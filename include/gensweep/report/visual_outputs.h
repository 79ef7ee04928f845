#pragma once
// What a run writes beside results.json/.csv/.md/.tex for people to look at:
//
//   figures/<stem>.{pdf,svg,png}   figures.h (heat maps, scatters, score distributions)
//   rankings/<stem>.csv            rankings.h (every image ranked by rarity and GIQA scores)
//   contact_sheets/<stem>.png      contact_sheet.h (the k images each score singles out)
//   report.html                    html.h (tables, figures, diagnostics, provenance in one page)
//
// Written after the tables, so that a figure that cannot be written (IoError naming the file)
// never costs the results already on disk. Each file is written atomically.

#include "gensweep/report/contact_sheet.h"
#include "gensweep/report/rankings.h"
#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <filesystem>
#include <string>
#include <vector>

namespace gensweep::report {

inline constexpr const char* kFiguresDirName = "figures";
inline constexpr const char* kRankingsDirName = "rankings";
inline constexpr const char* kContactSheetsDirName = "contact_sheets";
inline constexpr const char* kHtmlFileName = "report.html";

struct ContactSheet {
  std::string stem{};  // contact_sheets/<stem>.png
  std::string title{};
  std::vector<SheetImage> images{};
};

struct VisualInputs {
  std::vector<SampleScores> scores{};          // per-image scores, for rankings and distributions
  std::vector<ContactSheet> contact_sheets{};  // already decoded (the pipeline owns the images)
};

// Writes every file above into out_dir (created when missing). Throws IoError naming the file
// that could not be written.
void write_visual_outputs(const RunResults& results, const VisualInputs& inputs,
                          const TableOptions& options, const std::filesystem::path& out_dir);

}  // namespace gensweep::report
