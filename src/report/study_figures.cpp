#include "gensweep/report/study_figures.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gensweep/report/study_tables.h"

namespace gensweep::report {
namespace {

plot::Figure by_level_figure(const StudyResults& study, const std::string& metric,
                             const TableOptions& options) {
  plot::Figure figure;
  figure.title = fmt::format("{} ({}) against {} by {} and {}", metric,
                             direction_words(options.better_for(metric)), study.reference,
                             study.factor_name, study.level_name);
  figure.note = study.kind == "corruptions"
                    ? fmt::format(
                          "{} 0: {} uncorrupted. Values of different feature spaces are "
                          "not comparable; their shapes are.",
                          study.level_name, study.base)
                    : "Values of different feature spaces are not comparable; their shapes are.";
  for (const auto& grid : study_grids(study)) {
    if (grid.metric != metric) continue;
    plot::XYPanel panel;
    panel.title = grid.backbone;
    panel.x_label = study.level_name;
    panel.y_label = metric;
    const double high = grid.levels.empty() ? 1 : grid.levels.back();
    const double margin = std::max(high, 1.0) * 0.04;
    panel.x_range = {{-margin, high + margin}};
    for (std::size_t r = 0; r < grid.factors.size(); ++r) {
      plot::Series curve;
      curve.label = grid.factors[r];
      curve.colour = plot::series_colour(r);
      curve.dash = plot::series_dash(r);
      curve.line = grid.levels.size() > 1;  // one level (regions): a point per region
      if (!std::isnan(grid.base)) {         // a corruptions base: level 0 of every curve
        curve.x.push_back(0);
        curve.y.push_back(grid.base);
        curve.line = true;
      }
      for (std::size_t c = 0; c < grid.levels.size(); ++c) {
        curve.x.push_back(grid.levels[c]);
        curve.y.push_back(grid.values[r * grid.levels.size() + c]);
      }
      panel.series.push_back(std::move(curve));
    }
    figure.panels.push_back(std::move(panel));
  }
  return figure;
}

plot::Figure agreement_figure(const StudyResults& study, const StudyAgreement& agreement) {
  const std::size_t n = agreement.backbones.size();
  plot::HeatMap map;
  map.rows = agreement.backbones;
  map.columns = agreement.backbones;
  map.row_title = "feature space";
  map.column_title = "feature space";
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double tau = agreement_at(agreement.kendall_tau, n, i, j);
      const double rho = agreement_at(agreement.spearman_rho, n, i, j);
      map.cell_text.push_back(fmt::format("{} / {}", format_fixed(tau, 2), format_fixed(rho, 2)));
      map.cell_colour.push_back(agreement_colour(tau));
    }
  }
  map.scale_steps = kAgreementColourSteps;
  map.scale_best_label = "tau = 1 (same ranking)";
  map.scale_worst_label = "tau = -1 (reversed)";
  plot::Figure figure;
  figure.title = fmt::format("Do the feature spaces rank the {}s alike? ({}, study {})",
                             study.factor_name, agreement.metric, study.id);
  figure.note = fmt::format(
      "Cells: Kendall's tau-b / Spearman's rho between two spaces' rankings "
      "of the {} {}s; colour: tau.",
      study.factors.size(), study.factor_name);
  figure.heat_map = std::move(map);
  return figure;
}

}  // namespace

plot::Colour agreement_colour(double tau) {
  if (!std::isfinite(tau)) return plot::kUnrankedColour;
  const double clamped = std::clamp(tau, -1.0, 1.0);
  const int rank = static_cast<int>(std::lround((1 - clamped) / 2 * (kAgreementColourSteps - 1)));
  return plot::rank_colour(rank, kAgreementColourSteps);
}

std::vector<NamedFigure> study_figures(const StudyResults& study, const TableOptions& options) {
  std::vector<NamedFigure> figures;
  for (const auto& metric : study.metrics)
    figures.push_back({fmt::format("study_{}_{}_by_{}", study.id, metric, study.level_name),
                       by_level_figure(study, metric, options)});
  for (const auto& agreement : study.agreements)
    figures.push_back({fmt::format("study_{}_{}_agreement", study.id, agreement.metric),
                       agreement_figure(study, agreement)});
  return figures;
}

}  // namespace gensweep::report
