#include "gensweep/report/markdown.h"

#include "gensweep/report/atomic_file.h"
#include "gensweep/report/both_ways_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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
