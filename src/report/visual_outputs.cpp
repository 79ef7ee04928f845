#include "gensweep/report/visual_outputs.h"

#include "gensweep/core/error.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/report/figures.h"
#include "gensweep/report/html.h"

#include <system_error>

namespace gensweep::report {
namespace {

void make_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  GENSWEEP_CHECK(!ec, IoError, "cannot create the directory '{}': {}", dir.string(), ec.message());
}

}  // namespace

void write_visual_outputs(const RunResults& results, const VisualInputs& inputs,
                          const TableOptions& options, const std::filesystem::path& out_dir) {
  std::vector<HtmlFigure> embedded;
  const std::vector<NamedFigure> figures = build_figures(results, inputs.scores, options);
  if (!figures.empty()) make_directory(out_dir / kFiguresDirName);
  for (const auto& named : figures) {
    const plot::RenderedFigure rendered = plot::render(named.figure);
    plot::write_figure(rendered, out_dir / kFiguresDirName / named.stem);
    embedded.push_back({named.stem, named.figure.title, rendered.svg});
  }

  HtmlLinks links;
  if (!inputs.scores.empty()) make_directory(out_dir / kRankingsDirName);
  for (const auto& scores : inputs.scores) {
    const std::string name = scores_stem(scores) + ".csv";
    write_file_atomically(out_dir / kRankingsDirName / name, rankings_csv(rank_by_score(scores)));
    links.rankings.push_back(std::string(kRankingsDirName) + "/" + name);
  }
  if (!inputs.contact_sheets.empty()) make_directory(out_dir / kContactSheetsDirName);
  for (const auto& sheet : inputs.contact_sheets) {
    const std::string name = sheet.stem + ".png";
    write_file_atomically(out_dir / kContactSheetsDirName / name,
                          contact_sheet_png(sheet.title, sheet.images));
    links.contact_sheets.push_back(std::string(kContactSheetsDirName) + "/" + name);
  }
  // Last: the page links to the files above.
  write_file_atomically(out_dir / kHtmlFileName, html_report(results, options, embedded, links));
}

}  // namespace gensweep::report
