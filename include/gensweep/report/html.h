#pragma once
// report.html: the whole run on one self-contained page (no external resources: styles and the
// small sorting script are inline, figures are SVG data: URIs), to open from a cluster's file
// share or attach to a message. Sections: every metric table (click a column header to sort by
// it; cells carry the full double in data-value, show it in the metric's decimals, the column's
// best value in bold and fallbacks flagged "†"), the figures, warnings, per-entry diagnostics,
// and the provenance (job, tool version and commit, config hash, datasets, backbones), with links
// to the rankings and contact sheets written beside it.
//
// Figures go in as data: URIs rather than inline <svg>: cairo names its glyphs "glyph0-1" in every
// SVG, and inline SVGs share one id space, so the second figure would draw the first one's glyphs.

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::report {

struct HtmlFigure {
  std::string stem;  // figures/<stem>.{pdf,svg,png}
  std::string title;
  std::string svg;  // the SVG document
};

// Files written beside report.html that the page links to (paths relative to it).
struct HtmlLinks {
  std::vector<std::string> rankings;
  std::vector<std::string> contact_sheets;
};

std::string html_report(const RunResults& results, const TableOptions& options,
                        std::span<const HtmlFigure> figures, const HtmlLinks& links = {});

// Text for HTML element content and attribute values (& < > " ').
std::string html_escape(std::string_view text);
// RFC 4648 base64 with padding, for data: URIs.
std::string base64(std::string_view bytes);

}  // namespace gensweep::report
