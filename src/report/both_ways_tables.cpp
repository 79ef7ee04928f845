#include "gensweep/report/both_ways_tables.h"

#include "gensweep/report/csv.h"
#include "gensweep/report/latex.h"

#include <fmt/format.h>

#include <algorithm>

namespace gensweep::report {
namespace {

bool by_definition(const BothWaysRow& row, const std::string& metric) {
  return std::find(row.by_definition.begin(), row.by_definition.end(), metric) !=
         row.by_definition.end();
}

const std::optional<double>& value_of(const BothWaysRow& row, std::size_t metric) {
  static const std::optional<double> kNone;
  return metric < row.values.size() ? row.values[metric] : kNone;
}

// "A vs B" as a row label: the evaluated set against the reference's manifold.
std::string direction_label(const BothWaysRow& row) {
  return fmt::format("{} ({} vs {}{})", row.direction, row.evaluated, row.reference,
                     row.leave_one_out ? ", leave-one-out" : "");
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text)
    out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string both_ways_csv(const RunResults& results) {
  if (results.both_ways.empty()) return "";
  std::string out =
      "pair_reference,pair_evaluated,backbone,direction,reference,evaluated,leave_one_out,metric,"
      "value,by_definition\n";
  for (const auto& table : results.both_ways) {
    for (const auto& row : table.rows) {
      for (std::size_t m = 0; m < table.metrics.size(); ++m) {
        const auto& v = value_of(row, m);
        out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", csv_field(table.reference),
                           csv_field(table.evaluated), csv_field(table.backbone),
                           csv_field(row.direction), csv_field(row.reference),
                           csv_field(row.evaluated), row.leave_one_out ? "true" : "false",
                           csv_field(table.metrics[m]), v ? csv_number(*v) : "",
                           by_definition(row, table.metrics[m]) ? "true" : "false");
      }
    }
  }
  return out;
}

std::string rarest_overlap_csv(const RunResults& results) {
  if (results.rarest_overlap.empty()) return "";
  std::string out = "reference,evaluated,direction,backbone_a,backbone_b,k,jaccard\n";
  for (const auto& o : results.rarest_overlap)
    out += fmt::format("{},{},{},{},{},{},{}\n", csv_field(o.reference), csv_field(o.evaluated),
                       csv_field(o.direction), csv_field(o.backbone_a), csv_field(o.backbone_b),
                       o.k, csv_number(o.jaccard));
  return out;
}

std::string both_ways_markdown(const RunResults& results, const TableOptions& options) {
  std::string out;
  for (const auto& table : results.both_ways) {
    out += fmt::format("\n## Both ways: {} and {}, {}\n\n", markdown_cell(table.reference),
                       markdown_cell(table.evaluated), markdown_cell(table.backbone));
    out += "| direction |";
    std::string rule = "| :-- |";
    for (const auto& metric : table.metrics) {
      out += fmt::format(" {} |", markdown_cell(metric));
      rule += " --: |";
    }
    out += fmt::format("\n{}\n", rule);
    bool any_definition = false;
    for (const auto& row : table.rows) {
      out += fmt::format("| {} |", markdown_cell(direction_label(row)));
      for (std::size_t m = 0; m < table.metrics.size(); ++m) {
        const auto& v = value_of(row, m);
        const bool defined = by_definition(row, table.metrics[m]);
        any_definition = any_definition || defined;
        out += fmt::format(" {}{} |",
                           v ? format_fixed(*v, options.decimals_for(table.metrics[m])) : "—",
                           defined ? " *" : "");
      }
      out += "\n";
    }
    if (any_definition) out += "\n\\* 0 by definition (a set against itself), not computed.\n";
  }
  if (!results.rarest_overlap.empty()) {
    out += "\n## Rarest images: overlap between feature spaces (Jaccard)\n\n";
    out += "| reference | evaluated | direction | backbones | k | Jaccard |\n";
    out += "| :-- | :-- | :-- | :-- | --: | --: |\n";
    for (const auto& o : results.rarest_overlap)
      out += fmt::format("| {} | {} | {} | {} / {} | {} | {} |\n", markdown_cell(o.reference),
                         markdown_cell(o.evaluated), o.direction, markdown_cell(o.backbone_a),
                         markdown_cell(o.backbone_b), o.k, format_fixed(o.jaccard, 4));
  }
  return out;
}

std::string both_ways_latex(const RunResults& results, const TableOptions& options) {
  std::string out;
  for (const auto& table : results.both_ways) {
    out += "\n\\begin{table}[ht]\n\\centering\n";
    out += fmt::format("\\caption{{{} and {} both ways in {} (self rows leave-one-out)}}\n",
                       latex_escape(table.reference), latex_escape(table.evaluated),
                       latex_escape(table.backbone));
    out += fmt::format("\\begin{{tabular}}{{ll{}}}\n\\toprule\n",
                       std::string(table.metrics.size(), 'r'));
    out += "direction & evaluated vs reference";
    for (const auto& metric : table.metrics)
      out += fmt::format(" & {}", latex_escape(metric));
    out += " \\\\\n\\midrule\n";
    for (const auto& row : table.rows) {
      out += fmt::format("{} & {} vs {}", latex_escape(row.direction), latex_escape(row.evaluated),
                         latex_escape(row.reference));
      for (std::size_t m = 0; m < table.metrics.size(); ++m) {
        const auto& v = value_of(row, m);
        out += " & ";
        out += v ? format_fixed(*v, options.decimals_for(table.metrics[m])) : "---";
        if (by_definition(row, table.metrics[m])) out += "$^*$";
      }
      out += " \\\\\n";
    }
    out += "\\bottomrule\n\\end{tabular}\n";
    out += "% *: 0 by definition (a set against itself), not computed.\n\\end{table}\n";
  }
  if (!results.rarest_overlap.empty()) {
    out += "\n\\begin{table}[ht]\n\\centering\n";
    out += "\\caption{Overlap (Jaccard) of the $k$ rarest images between feature spaces}\n";
    out += "\\begin{tabular}{lllrr}\n\\toprule\n";
    out += "pair & direction & backbones & $k$ & Jaccard \\\\\n\\midrule\n";
    for (const auto& o : results.rarest_overlap)
      out += fmt::format("{} / {} & {} & {} / {} & {} & {} \\\\\n", latex_escape(o.reference),
                         latex_escape(o.evaluated), latex_escape(o.direction),
                         latex_escape(o.backbone_a), latex_escape(o.backbone_b), o.k,
                         format_fixed(o.jaccard, 4));
    out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
  }
  return out;
}

}  // namespace gensweep::report
