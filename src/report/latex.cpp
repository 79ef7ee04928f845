#include "gensweep/report/latex.h"

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gensweep::report {
namespace {

std::string latex_value(double v, int decimals) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "$\\infty$" : "$-\\infty$";
  return format_fixed(v, decimals);
}

// A comment must stay on one line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

}  // namespace

std::string latex_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string latex_table(const RunResults& results, std::string_view reference,
                        std::string_view metric, const TableOptions& options) {
  auto tables = build_tables(results);
  auto it = std::find_if(tables.begin(), tables.end(), [&](const ResultTable& t) {
    return t.reference == reference && t.metric == metric;
  });
  if (it == tables.end()) {
    std::vector<std::string> available;
    for (const auto& t : tables)
      available.push_back(fmt::format("{}/{}", t.reference, t.metric));
    throw DataError(fmt::format("no results for metric '{}' with reference '{}' (available: {})",
                                metric, reference,
                                available.empty() ? "none" : join(available, ", ")));
  }
  const ResultTable& table = *it;
  int decimals = options.decimals_for(table.metric);

  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> notes;
  grid.push_back({"evaluated"});
  for (const auto& b : table.columns)
    grid[0].push_back(latex_escape(b));
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<std::string> row{latex_escape(table.rows[r])};
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const MetricEntry* e = table.at(r, c);
      std::string cell = e ? latex_value(e->value, decimals) : "---";
      if (e && !fallback_note(*e).empty()) {
        cell += "$^\\dagger$";
        notes.push_back(fmt::format("% dagger: {}, {}: {}", one_line(table.rows[r]),
                                    one_line(table.columns[c]), one_line(fallback_note(*e))));
      }
      row.push_back(std::move(cell));
    }
    grid.push_back(std::move(row));
  }

  std::vector<std::size_t> width(grid[0].size(), 0);
  for (const auto& row : grid)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string fill(width[c] - display_width(row[c]), ' ');
      out += c == 0 ? row[c] + fill : " & " + fill + row[c];
    }
    return out + " \\\\\n";
  };

  std::string out = fmt::format("% gensweep: {}, reference {}\n", one_line(table.metric),
                                one_line(table.reference));
  for (const auto& n : notes)
    out += n + "\n";
  out += fmt::format("\\begin{{tabular}}{{l{}}}\n", std::string(table.columns.size(), 'r'));
  out += "\\toprule\n";
  out += line(grid[0]);
  out += "\\midrule\n";
  for (std::size_t r = 1; r < grid.size(); ++r)
    out += line(grid[r]);
  out += "\\bottomrule\n\\end{tabular}\n";
  return out;
}

}  // namespace gensweep::report
