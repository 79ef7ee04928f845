#include "gensweep/report/markdown.h"

#include "gensweep/report/atomic_file.h"
#include "gensweep/report/both_ways_tables.h"
#include "gensweep/report/study_tables.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gensweep::report {
namespace {

constexpr const char* kMissing = "—";
constexpr const char* kFallbackMark = "†";

// A table cell must stay on one line and must not contain an unescaped column separator.
std::string escape_cell(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Inline code that survives backticks in the text (CommonMark: a longer fence, padded by spaces).
std::string code_span(const std::string& text) {
  std::string one_line = escape_cell(text);
  if (one_line.find('`') == std::string::npos) return "`" + one_line + "`";
  return "`` " + one_line + " ``";
}

std::string pad(const std::string& text, std::size_t width, bool right) {
  std::size_t w = display_width(text);
  std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + text : text + fill;
}

// An aligned pipe table; cells are already escaped.
std::string render_table(const std::vector<std::string>& header, const std::vector<bool>& right,
                         const std::vector<std::vector<std::string>>& rows) {
  // At least 3 wide so that the delimiter row (":--", "--:") is valid everywhere.
  std::vector<std::size_t> width(header.size(), 3);
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = std::max(width[c], display_width(header[c]));
    for (const auto& row : rows)
      width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      // Appends, not " " + ...: GCC 12 warns falsely (-Wrestrict) on operator+(const char*, &&).
      out += ' ';
      out += pad(cells[c], width[c], right[c]);
      out += " |";
    }
    return out + "\n";
  };
  std::string out = line(header);
  out += "|";
  for (std::size_t c = 0; c < header.size(); ++c) {
    std::string dashes(width[c] - 1, '-');
    out += right[c] ? " " + dashes + ": |" : " :" + dashes + " |";
  }
  out += "\n";
  for (const auto& row : rows)
    out += line(row);
  return out;
}

std::string render_result_table(const ResultTable& table, const TableOptions& options) {
  int decimals = options.decimals_for(table.metric);
  std::vector<std::string> header{"evaluated"};
  for (const auto& b : table.columns)
    header.push_back(escape_cell(b));
  std::vector<bool> right(header.size(), true);
  right[0] = false;

  // A flagged column pads its unflagged cells by the mark's width so the decimals still line up.
  std::vector<bool> column_flagged(table.columns.size(), false);
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    for (std::size_t c = 0; c < table.columns.size(); ++c)
      if (const auto* e = table.at(r, c); e && !fallback_note(*e).empty()) column_flagged[c] = true;

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<std::string> row{escape_cell(table.rows[r])};
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const MetricEntry* e = table.at(r, c);
      std::string cell = e ? format_fixed(e->value, decimals) : kMissing;
      std::string note = e ? fallback_note(*e) : "";
      if (!note.empty()) {
        cell += std::string(" ") + kFallbackMark;
        notes.push_back(fmt::format("- {} {}, {}: {}", kFallbackMark, escape_cell(table.rows[r]),
                                    escape_cell(table.columns[c]), escape_cell(note)));
      } else if (column_flagged[c]) {
        cell += "  ";
      }
      row.push_back(std::move(cell));
    }
    rows.push_back(std::move(row));
  }

  std::string out = fmt::format("## {}, reference: {}\n\n", escape_cell(table.metric),
                                escape_cell(table.reference));
  out += render_table(header, right, rows);
  if (!notes.empty()) {
    out += "\n";
    for (const auto& n : notes)
      out += n + "\n";
  }
  return out;
}

std::string level_header(const StudyResults& study, double level) {
  return fmt::format("{} {}", study.level_name, level_text(level));
}

// One table per (backbone, metric): rows = factors, columns = levels, the factor's mean over the
// levels and its rank (1 = most affected); a second one with the normalised values.
std::string render_study_grid(const StudyResults& study, const StudyGrid& grid,
                              const TableOptions& options) {
  const int decimals = options.decimals_for(grid.metric);
  auto table = [&](bool normalised) {
    std::vector<std::string> header{escape_cell(study.factor_name)};
    for (double level : grid.levels)
      header.push_back(level_header(study, level));
    header.push_back("mean");
    header.push_back("rank");
    std::vector<bool> right(header.size(), true);
    right[0] = false;
    std::vector<std::vector<std::string>> rows;
    for (std::size_t r = 0; r < grid.factors.size(); ++r) {
      std::vector<std::string> row{escape_cell(grid.factors[r])};
      for (std::size_t c = 0; c < grid.levels.size(); ++c) {
        const std::size_t k = r * grid.levels.size() + c;
        if (!normalised)
          row.push_back(grid.stds[k]
                            ? fmt::format("{} ± {}", format_fixed(grid.values[k], decimals),
                                          format_fixed(*grid.stds[k], decimals))
                            : format_fixed(grid.values[k], decimals));
        else
          row.push_back(grid.normalised[k] ? format_fixed(*grid.normalised[k], 3) : kMissing);
      }
      // The normalised table's mean is the mean divided the same way.
      double mean = grid.means[r];
      if (normalised) {
        const auto base = grid.normalised_divisor();
        mean = base ? mean / *base : std::numeric_limits<double>::quiet_NaN();
      }
      row.push_back(std::isnan(mean) ? kMissing : format_fixed(mean, normalised ? 3 : decimals));
      row.push_back(grid.ranks[r] ? std::to_string(grid.ranks[r]) : kMissing);
      rows.push_back(std::move(row));
    }
    return render_table(header, right, rows);
  };
  std::string out =
      fmt::format("### {} in {}\n\n", escape_cell(grid.metric), escape_cell(grid.backbone));
  if (!std::isnan(grid.base))
    out += fmt::format("{} {} (uncorrupted): {}\n\n", escape_cell(study.base),
                       escape_cell(grid.metric), format_fixed(grid.base, decimals));
  if (std::any_of(grid.stds.begin(), grid.stds.end(), [](const auto& x) { return x.has_value(); }))
    out += "Mean ± standard deviation over the seeded draws.\n\n";
  out += table(false);
  if (!study.normalised_by_factor.empty()) {
    out += fmt::format("\nDivided by {} at {} {}:\n\n", escape_cell(study.normalised_by_factor),
                       escape_cell(study.level_name), level_text(study.normalised_by_level));
    out += table(true);
  }
  return out;
}

std::string render_study(const StudyResults& study, const TableOptions& options) {
  std::string out = fmt::format(
      "## study {}: {} of {} by {} and {}, reference: {}\n", escape_cell(study.id),
      escape_cell(fmt::format("{}", fmt::join(study.metrics, ", "))), escape_cell(study.base),
      escape_cell(study.factor_name), escape_cell(study.level_name), escape_cell(study.reference));
  for (const auto& grid : study_grids(study)) {
    out += '\n';  // not "\n" + ...: GCC 12 warns falsely (-Wrestrict)
    out += render_study_grid(study, grid, options);
  }
  for (const auto& m : study.metrics) {
    std::vector<const StudyRanking*> rankings;
    for (const auto& r : study.rankings)
      if (r.metric == m) rankings.push_back(&r);
    if (rankings.empty()) continue;
    std::vector<std::string> header{"rank"};
    for (const auto* r : rankings)
      header.push_back(escape_cell(r->backbone));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < study.factors.size(); ++i) {
      std::vector<std::string> row{std::to_string(i + 1)};
      for (const auto* r : rankings)
        row.push_back(i < r->factors.size() ? escape_cell(r->factors[i]) : kMissing);
      rows.push_back(std::move(row));
    }
    std::vector<bool> right(header.size(), false);
    right[0] = true;
    out += fmt::format("\n### {} ranked by {} (most affected first)\n\n",
                       escape_cell(study.factor_name), escape_cell(m));
    out += render_table(header, right, rows);
  }
  for (const auto& a : study.agreements) {
    const std::size_t n = a.backbones.size();
    std::vector<std::string> header{"Kendall tau-b / Spearman rho"};
    for (const auto& b : a.backbones)
      header.push_back(escape_cell(b));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::string> row{escape_cell(a.backbones[i])};
      for (std::size_t j = 0; j < n; ++j)
        row.push_back(fmt::format("{} / {}", format_fixed(agreement_at(a.kendall_tau, n, i, j), 3),
                                  format_fixed(agreement_at(a.spearman_rho, n, i, j), 3)));
      rows.push_back(std::move(row));
    }
    std::vector<bool> right(header.size(), true);
    right[0] = false;
    out += fmt::format("\n### agreement of the feature spaces' rankings by {}\n\n",
                       escape_cell(a.metric));
    out += render_table(header, right, rows);
  }
  return out;
}

std::string provenance(const RunResults& r) {
  std::string seconds = std::isfinite(r.seconds) ? fmt::format("{:.1f} s", r.seconds) : "? s";
  std::string out;
  out += fmt::format("- job file: {}\n", code_span(r.job_file));
  out += fmt::format("- config sha256: {}\n", code_span(r.config_hash));
  out += fmt::format("- gensweep {} (commit {}), {} rank{}, {}, created {}\n",
                     escape_cell(r.tool_version), escape_cell(r.git_commit), r.ranks,
                     r.ranks == 1 ? "" : "s", seconds, escape_cell(r.created_utc));
  return out;
}

}  // namespace

std::string markdown_tables(const RunResults& results, const TableOptions& options) {
  std::string out;
  for (const auto& table : build_tables(results)) {
    if (!out.empty()) out += "\n";
    out += render_result_table(table, options);
  }
  for (const auto& study : results.studies) {
    if (!out.empty()) out += "\n";
    out += render_study(study, options);
  }
  return out;
}

std::string markdown_report(const RunResults& results, const TableOptions& options) {
  std::string out = fmt::format("# gensweep results: {}\n\n", escape_cell(results.job_name));
  out += provenance(results);
  out += "\n";
  std::string tables = markdown_tables(results, options);
  out += tables.empty() ? "No results.\n" : tables;
  out += both_ways_markdown(results, options);

  if (!results.datasets.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : results.datasets)
      rows.push_back({escape_cell(d.id), std::to_string(d.images), std::to_string(d.valid),
                      std::to_string(d.failed), escape_cell(d.source)});
    out += "\n## Datasets\n\n";
    out += render_table({"dataset", "images", "valid", "failed", "source"},
                        {false, true, true, true, false}, rows);
  }
  if (!results.backbones.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : results.backbones)
      rows.push_back({escape_cell(b.id), escape_cell(b.kind), std::to_string(b.dim),
                      escape_cell(b.preprocessing)});
    out += "\n## Backbones\n\n";
    out += render_table({"backbone", "kind", "dim", "preprocessing"}, {false, false, true, false},
                        rows);
  }
  if (!results.warnings.empty()) {
    out += "\n## Warnings\n\n";
    for (const auto& w : results.warnings)
      out += "- " + escape_cell(w) + "\n";
  }
  return out;
}

void write_markdown(const RunResults& results, const std::filesystem::path& path,
                    const TableOptions& options) {
  write_file_atomically(path, markdown_report(results, options));
}

}  // namespace gensweep::report
