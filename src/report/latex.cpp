#include "gensweep/report/latex.h"

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "gensweep/report/both_ways_tables.h"
#include "gensweep/report/study_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace gensweep::report {
namespace {

std::string latex_value(double v, int decimals) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "$\\infty$" : "$-\\infty$";
  return format_fixed(v, decimals);
}

// The entry's spread as shown beside its value ("" when it has none): " $\pm$ std" (not for a
// single estimate), else " [low, high]" of its confidence interval.
std::string spread(const MetricEntry& e, int decimals) {
  const auto& d = e.diagnostics;
  if (!d.is_object()) return "";
  // A KID computed once on all pairs ("full") has no spread: its std of 0 says nothing.
  const bool single_estimate = d.contains("full") && d.at("full").is_boolean() && d.at("full");
  if (!single_estimate && d.contains("std") && d.at("std").is_number())
    return " $\\pm$ " + latex_value(d.at("std").get<double>(), decimals);
  if (d.contains("ci_low") && d.contains("ci_high") && d.at("ci_low").is_number() &&
      d.at("ci_high").is_number())
    return fmt::format(" [{}, {}]", latex_value(d.at("ci_low").get<double>(), decimals),
                       latex_value(d.at("ci_high").get<double>(), decimals));
  return "";
}

// Per column, the best finite value of the column's entries (nullopt: none, or no direction).
std::vector<std::optional<double>> best_per_column(const ResultTable& table, Better better) {
  std::vector<std::optional<double>> best(table.columns.size());
  if (better == Better::kNeither) return best;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      const MetricEntry* e = table.at(r, c);
      if (e == nullptr || !std::isfinite(e->value)) continue;
      if (!best[c] || (better == Better::kLower ? e->value < *best[c] : e->value > *best[c]))
        best[c] = e->value;
    }
  }
  return best;
}

// A comment must stay on one line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// A booktabs tabular of already escaped cells, the first row the header: the first column
// left-aligned, the others right, padded so that the source lines up.
std::string booktabs_tabular(const std::vector<std::vector<std::string>>& grid) {
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
  std::string out =
      fmt::format("\\begin{{tabular}}{{l{}}}\n", std::string(grid[0].size() - 1, 'r'));
  out += "\\toprule\n";
  out += line(grid[0]);
  out += "\\midrule\n";
  for (std::size_t r = 1; r < grid.size(); ++r)
    out += line(grid[r]);
  out += "\\bottomrule\n\\end{tabular}\n";
  return out;
}

// booktabs_tabular in a table float with its caption.
std::string latex_grid(const std::string& caption,
                       const std::vector<std::vector<std::string>>& grid) {
  std::string out = "\n\\begin{table}[ht]\n\\centering\n";
  out += fmt::format("\\caption{{{}}}\n", caption);
  out += booktabs_tabular(grid);
  out += "\\end{table}\n";
  return out;
}

// A study: per (backbone, metric) the factors by levels with each factor's mean and rank (the
// highest-ranked, most affected factor in bold), then the agreement of the spaces' rankings.
std::string latex_study(const StudyResults& study, const TableOptions& options) {
  std::string out;
  for (const auto& g : study_grids(study)) {
    const int decimals = options.decimals_for(g.metric);
    std::vector<std::vector<std::string>> grid;
    grid.push_back({latex_escape(study.factor_name)});
    for (double level : g.levels)
      grid[0].push_back(level_text(level));
    grid[0].push_back("mean");
    grid[0].push_back("rank");
    for (std::size_t r = 0; r < g.factors.size(); ++r) {
      std::vector<std::string> row{latex_escape(g.factors[r])};
      for (std::size_t c = 0; c < g.levels.size(); ++c) {
        const std::size_t k = r * g.levels.size() + c;
        row.push_back(g.stds[k] ? fmt::format("{} $\\pm$ {}", latex_value(g.values[k], decimals),
                                              latex_value(*g.stds[k], decimals))
                                : latex_value(g.values[k], decimals));
      }
      std::string mean = std::isnan(g.means[r]) ? "---" : latex_value(g.means[r], decimals);
      if (g.ranks[r] == 1) mean = "\\textbf{" + mean + "}";
      row.push_back(mean);
      row.push_back(g.ranks[r] ? std::to_string(g.ranks[r]) : "---");
      grid.push_back(std::move(row));
    }
    out += latex_grid(
        fmt::format("{} in {} against {} by {} {} (columns); {} uncorrupted: {}",
                    latex_escape(g.metric), latex_escape(g.backbone), latex_escape(study.reference),
                    latex_escape(study.factor_name), latex_escape(study.level_name),
                    latex_escape(study.base), latex_value(g.base, decimals)),
        grid);
  }
  for (const auto& a : study.agreements) {
    const std::size_t n = a.backbones.size();
    std::vector<std::vector<std::string>> grid;
    grid.push_back({""});
    for (const auto& b : a.backbones)
      grid[0].push_back(latex_escape(b));
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::string> row{latex_escape(a.backbones[i])};
      for (std::size_t j = 0; j < n; ++j)
        row.push_back(fmt::format("{} / {}", latex_value(agreement_at(a.kendall_tau, n, i, j), 3),
                                  latex_value(agreement_at(a.spearman_rho, n, i, j), 3)));
      grid.push_back(std::move(row));
    }
    out += latex_grid(fmt::format("Agreement of the feature spaces' rankings of the {}s by {}: "
                                  "Kendall's $\\tau_b$ / Spearman's $\\rho$ (study {})",
                                  latex_escape(study.factor_name), latex_escape(a.metric),
                                  latex_escape(study.id)),
                      grid);
  }
  return out;
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
  return latex_tabular(*it, options);
}

std::string latex_tabular(const ResultTable& table, const TableOptions& options) {
  int decimals = options.decimals_for(table.metric);
  const auto best = best_per_column(table, options.better_for(table.metric));

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
      if (e && options.show_spread) cell += spread(*e, decimals);
      // Every entry equal to the column's best is bold (ties included).
      if (e && best[c] && e->value == *best[c]) cell = "\\textbf{" + cell + "}";
      if (e && !fallback_note(*e).empty()) {
        cell += "$^\\dagger$";
        notes.push_back(fmt::format("% dagger: {}, {}: {}", one_line(table.rows[r]),
                                    one_line(table.columns[c]), one_line(fallback_note(*e))));
      }
      row.push_back(std::move(cell));
    }
    grid.push_back(std::move(row));
  }

  std::string out = fmt::format("% gensweep: {}, reference {}\n", one_line(table.metric),
                                one_line(table.reference));
  for (const auto& n : notes)
    out += n + "\n";
  out += booktabs_tabular(grid);
  return out;
}

std::string latex_document(const RunResults& results, const TableOptions& options) {
  std::string out = fmt::format(
      "% gensweep results of job {} ({}), created {}.\n"
      "% One table per metric and reference: rows the evaluated sets, columns the feature spaces;\n"
      "% the best value of each column in bold. Needs \\usepackage{{booktabs}}; \\input this "
      "file.\n",
      one_line(results.job_name), one_line(results.config_hash), one_line(results.created_utc));
  for (const ResultTable& table : build_tables(results)) {
    const Better better = options.better_for(table.metric);
    const char* direction = better == Better::kLower    ? " (lower is better)"
                            : better == Better::kHigher ? " (higher is better)"
                                                        : "";
    out += "\n\\begin{table}[ht]\n\\centering\n";
    out += fmt::format("\\caption{{{}{} against {}}}\n", latex_escape(table.metric), direction,
                       latex_escape(table.reference));
    out += latex_tabular(table, options);
    out += "\\end{table}\n";
  }
  for (const auto& study : results.studies)
    out += latex_study(study, options);
  out += both_ways_latex(results, options);
  return out;
}

}  // namespace gensweep::report
