#include "gensweep/report/figures.h"

#include "gensweep/report/study_figures.h"
#include "gensweep/report/study_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace gensweep::report {
namespace {

void add_once(std::vector<std::string>& list, const std::string& id) {
  if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
}

// `ids` ordered as the job lists them (`job_order`), unknown ones after, in their own order.
std::vector<std::string> in_job_order(const std::vector<std::string>& ids,
                                      const std::vector<std::string>& job_order) {
  std::vector<std::string> ordered;
  for (const auto& id : job_order)
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) ordered.push_back(id);
  for (const auto& id : ids)
    add_once(ordered, id);
  return ordered;
}

std::vector<std::string> dataset_order(const RunResults& results) {
  std::vector<std::string> ids;
  for (const auto& d : results.datasets)
    ids.push_back(d.id);
  return ids;
}

std::vector<std::string> backbone_order(const RunResults& results) {
  std::vector<std::string> ids;
  for (const auto& b : results.backbones)
    ids.push_back(b.id);
  return ids;
}

// The evaluated sets compared with one reference, in job order: each keeps its colour in every
// figure of that reference.
struct ReferenceView {
  std::string reference;
  std::vector<std::string> evaluated;
  std::vector<std::string> backbones;
  plot::Colour colour_of(const std::string& id) const {
    const auto it = std::find(evaluated.begin(), evaluated.end(), id);
    return plot::series_colour(static_cast<std::size_t>(it - evaluated.begin()));
  }
};

std::vector<ReferenceView> reference_views(const RunResults& results,
                                           std::span<const SampleScores> scores) {
  std::vector<std::string> references;
  std::map<std::string, std::vector<std::string>> evaluated, backbones;
  auto note = [&](const std::string& r, const std::string& e, const std::string& b) {
    add_once(references, r);
    add_once(evaluated[r], e);
    add_once(backbones[r], b);
  };
  // A study's cells are drawn in the study's own figures.
  const auto cells = study_cell_pairs(results);
  for (const auto& e : results.entries)
    if (!cells.contains({e.reference, e.evaluated})) note(e.reference, e.evaluated, e.backbone);
  for (const auto& s : scores)
    note(s.reference, s.evaluated, s.backbone);
  const std::vector<std::string> datasets = dataset_order(results);
  std::vector<ReferenceView> views;
  for (const auto& r : in_job_order(references, datasets))
    views.push_back({r, in_job_order(evaluated[r], datasets),
                     in_job_order(backbones[r], backbone_order(results))});
  return views;
}

const MetricEntry* find_entry(const RunResults& results, const std::string& reference,
                              const std::string& evaluated, const std::string& backbone,
                              std::string_view metric) {
  for (const auto& e : results.entries) {
    if (e.reference == reference && e.evaluated == evaluated && e.backbone == backbone &&
        e.metric == metric)
      return &e;
  }
  return nullptr;
}

// A point per evaluated set at (x metric, y metric), one panel per feature space; nullopt when no
// feature space has both metrics.
std::optional<plot::Figure> scatter_figure(const RunResults& results, const ReferenceView& view,
                                           std::string_view x_metric, std::string_view y_metric,
                                           bool y_unbounded) {
  plot::Figure figure;
  figure.title = fmt::format("{} and {} against {}", y_metric, x_metric, view.reference);
  for (const auto& backbone : view.backbones) {
    plot::XYPanel panel;
    panel.title = backbone;
    panel.x_label = std::string(x_metric);
    panel.y_label = std::string(y_metric);
    double y_max = 1;
    for (const auto& evaluated : view.evaluated) {
      const MetricEntry* x = find_entry(results, view.reference, evaluated, backbone, x_metric);
      const MetricEntry* y = find_entry(results, view.reference, evaluated, backbone, y_metric);
      if (x == nullptr || y == nullptr) continue;
      plot::Series point;
      point.label = evaluated;
      point.colour = view.colour_of(evaluated);
      point.line = false;
      point.x = {x->value};
      point.y = {y->value};
      point.point_labels = {evaluated};
      if (std::isfinite(y->value)) y_max = std::max(y_max, y->value);
      panel.series.push_back(std::move(point));
    }
    if (panel.series.empty()) continue;
    // Fractions on [0, 1] with a sliver of margin so that points at 0 or 1 are whole; density
    // exceeds 1 when evaluated samples crowd reference balls.
    panel.x_range = {{-0.02, 1.02}};
    panel.y_range = {{-0.02, y_unbounded ? y_max * 1.05 : 1.02}};
    figure.panels.push_back(std::move(panel));
  }
  if (figure.panels.empty()) return std::nullopt;
  return figure;
}

// Step outline of a density histogram: (edge, height) pairs, closed at zero on both ends.
plot::Series histogram_curve(std::span<const double> values, const plot::Bins& bins) {
  const std::vector<double> density = plot::histogram_density(values, bins);
  plot::Series curve;
  curve.x.push_back(bins.low);
  curve.y.push_back(0);
  for (int i = 0; i < bins.count; ++i) {
    for (double edge : {bins.edge(i), bins.edge(i + 1)}) {
      curve.x.push_back(edge);
      curve.y.push_back(density[static_cast<std::size_t>(i)]);
    }
  }
  curve.x.push_back(bins.high);
  curve.y.push_back(0);
  return curve;
}

std::optional<plot::Figure> distribution_figure(std::span<const SampleScores> scores,
                                                const ReferenceView& view, std::string_view score) {
  const bool rarity = score == "rarity";
  plot::Figure figure;
  figure.title = fmt::format("{} of each evaluated set against {}", score, view.reference);
  if (rarity)
    figure.note =
        "Scores of 0 (outside every reference k-NN ball) are left out: rarity is defined inside "
        "the reference manifold only.";
  for (const auto& backbone : view.backbones) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> sets;
    for (const auto& evaluated : view.evaluated) {
      for (const auto& s : scores) {
        if (s.reference != view.reference || s.backbone != backbone || s.score != score ||
            s.evaluated != evaluated)
          continue;
        std::vector<double> kept;
        for (double v : s.values)
          if (std::isfinite(v) && (!rarity || v > 0)) kept.push_back(v);
        labels.push_back(evaluated);
        sets.push_back(std::move(kept));
      }
    }
    if (sets.empty()) continue;
    const plot::Bins bins = plot::shared_bins(sets, kHistogramBins);
    plot::XYPanel panel;
    panel.title = backbone;
    panel.x_label = fmt::format("{} score", score);
    panel.y_label = "density";
    for (std::size_t i = 0; i < sets.size(); ++i) {
      plot::Series curve = histogram_curve(sets[i], bins);
      curve.label = labels[i];
      curve.colour = view.colour_of(labels[i]);
      panel.series.push_back(std::move(curve));
    }
    figure.panels.push_back(std::move(panel));
  }
  if (figure.panels.empty()) return std::nullopt;
  return figure;
}

// The rarity scores of `row`'s evaluated set against its reference in `backbone`, inside the
// manifold (scores > 0), or nullopt when the run has none.
std::optional<std::vector<double>> rarity_scores(std::span<const SampleScores> scores,
                                                 const BothWaysRow& row,
                                                 const std::string& backbone) {
  for (const auto& s : scores) {
    if (s.score != "rarity" || s.reference != row.reference || s.evaluated != row.evaluated ||
        s.backbone != backbone)
      continue;
    std::vector<double> kept;
    for (double v : s.values)
      if (std::isfinite(v) && v > 0) kept.push_back(v);
    return kept;
  }
  return std::nullopt;
}

}  // namespace

std::vector<NamedFigure> both_ways_rarity_figures(const RunResults& results,
                                                  std::span<const SampleScores> scores) {
  std::vector<NamedFigure> figures;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& t : results.both_ways)
    if (std::find(pairs.begin(), pairs.end(), std::pair(t.reference, t.evaluated)) == pairs.end())
      pairs.emplace_back(t.reference, t.evaluated);
  for (const auto& [a, b] : pairs) {
    plot::Figure figure;
    figure.title = fmt::format("rarity of {} and {}, both ways", a, b);
    figure.note =
        "Curves share their bins within a panel. Self directions are leave-one-out; scores of 0 "
        "(outside every k-NN ball) are left out.";
    for (const auto& table : results.both_ways) {
      if (table.reference != a || table.evaluated != b) continue;
      std::vector<std::size_t> directions;  // the row of each curve: its colour in every panel
      std::vector<std::vector<double>> sets;
      for (std::size_t r = 0; r < table.rows.size(); ++r) {
        auto kept = rarity_scores(scores, table.rows[r], table.backbone);
        if (!kept) continue;
        directions.push_back(r);
        sets.push_back(std::move(*kept));
      }
      if (sets.empty()) continue;
      const plot::Bins bins = plot::shared_bins(sets, kHistogramBins);
      plot::XYPanel panel;
      panel.title = table.backbone;
      panel.x_label = "rarity score";
      panel.y_label = "density";
      for (std::size_t i = 0; i < sets.size(); ++i) {
        const BothWaysRow& row = table.rows[directions[i]];
        plot::Series curve = histogram_curve(sets[i], bins);
        curve.label = fmt::format("{}: {} vs {}", row.direction, row.evaluated, row.reference);
        curve.colour = plot::series_colour(directions[i]);
        panel.series.push_back(std::move(curve));
      }
      figure.panels.push_back(std::move(panel));
    }
    if (!figure.panels.empty())
      figures.push_back({fmt::format("both_ways_rarity__{}__{}", a, b), std::move(figure)});
  }
  return figures;
}

plot::Figure heat_map_figure(const ResultTable& table, const TableOptions& options) {
  const Better better = options.better_for(table.metric);
  const int decimals = options.decimals_for(table.metric);
  plot::HeatMap map;
  map.rows = table.rows;
  map.columns = table.columns;
  map.row_title = "evaluated";
  map.column_title = "feature space";
  const std::size_t rows = table.rows.size(), columns = table.columns.size();
  map.cell_text.assign(rows * columns, "—");
  map.cell_colour.assign(rows * columns, std::nullopt);
  for (std::size_t c = 0; c < columns; ++c) {
    std::vector<double> values(rows, NAN);
    for (std::size_t r = 0; r < rows; ++r)
      if (const MetricEntry* e = table.at(r, c)) values[r] = e->value;
    const std::vector<int> ranks = plot::ranks_within(values, better);
    const int ranked = static_cast<int>(
        std::count_if(ranks.begin(), ranks.end(), [](int rank) { return rank >= 0; }));
    for (std::size_t r = 0; r < rows; ++r) {
      const MetricEntry* e = table.at(r, c);
      if (e == nullptr) continue;
      const std::size_t i = r * columns + c;
      map.cell_text[i] = format_fixed(e->value, decimals);
      map.cell_colour[i] =
          ranks[r] >= 0 ? plot::rank_colour(ranks[r], ranked) : plot::kUnrankedColour;
    }
  }
  plot::Figure figure;
  figure.title =
      fmt::format("{} ({}) against {}", table.metric, direction_words(better), table.reference);
  if (better != Better::kNeither) {
    map.scale_steps = static_cast<int>(std::max<std::size_t>(rows, 2));
    map.scale_best_label = "best in column";
    map.scale_worst_label = "worst in column";
    figure.note =
        "Colour: rank within each feature space (values of different spaces are not "
        "comparable).";
  } else {
    figure.note = fmt::format("{} has no better direction: cells are not ranked.", table.metric);
  }
  figure.heat_map = std::move(map);
  return figure;
}

std::vector<NamedFigure> build_figures(const RunResults& results,
                                       std::span<const SampleScores> scores,
                                       const TableOptions& options) {
  std::vector<NamedFigure> figures;
  const std::vector<ResultTable> tables = build_tables(results);
  for (const ReferenceView& view : reference_views(results, scores)) {
    for (const auto& table : tables) {
      if (table.reference != view.reference) continue;
      figures.push_back({fmt::format("heatmap_{}__vs__{}", table.metric, view.reference),
                         heat_map_figure(table, options)});
    }
    if (auto f = scatter_figure(results, view, "recall", "precision", false))
      figures.push_back({fmt::format("precision_recall__vs__{}", view.reference), std::move(*f)});
    if (auto f = scatter_figure(results, view, "coverage", "density", true))
      figures.push_back({fmt::format("density_coverage__vs__{}", view.reference), std::move(*f)});
    for (std::string_view score : kRankedScores) {
      if (auto f = distribution_figure(scores, view, score))
        figures.push_back(
            {fmt::format("distribution_{}__vs__{}", score, view.reference), std::move(*f)});
    }
  }
  for (auto& f : both_ways_rarity_figures(results, scores))
    figures.push_back(std::move(f));
  for (const auto& study : results.studies)
    for (auto& f : study_figures(study, options))
      figures.push_back(std::move(f));
  return figures;
}

}  // namespace gensweep::report
