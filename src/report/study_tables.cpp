#include "gensweep/report/study_tables.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gensweep/report/csv.h"

namespace gensweep::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t index_of(const std::vector<std::string>& items, const std::string& item) {
  return static_cast<std::size_t>(std::find(items.begin(), items.end(), item) - items.begin());
}

std::string optional_number(const std::optional<double>& x) {
  return x ? csv_number(*x) : "";
}

}  // namespace

std::set<std::pair<std::string, std::string>> study_cell_pairs(const RunResults& results) {
  std::set<std::pair<std::string, std::string>> cells;
  for (const auto& study : results.studies)
    for (const auto& v : study.values)
      if (v.level != 0) cells.emplace(study.reference, v.dataset);
  return cells;
}

std::string level_text(double level) {
  return fmt::format("{}", level);
}

std::optional<double> StudyGrid::normalised_divisor() const {
  for (std::size_t k = 0; k < values.size(); ++k)
    if (normalised[k] && *normalised[k] != 0 && std::isfinite(*normalised[k]))
      return values[k] / *normalised[k];
  return std::nullopt;
}

std::vector<StudyGrid> study_grids(const StudyResults& study) {
  std::vector<StudyGrid> grids;
  for (const auto& b : study.backbones) {
    for (const auto& m : study.metrics) {
      StudyGrid g;
      g.backbone = b;
      g.metric = m;
      g.base = kNaN;
      g.factors = study.factors;
      g.levels = study.levels;
      const std::size_t rows = g.factors.size(), columns = g.levels.size();
      g.values.assign(rows * columns, kNaN);
      g.normalised.assign(rows * columns, std::nullopt);
      g.stds.assign(rows * columns, std::nullopt);
      g.means.assign(rows, kNaN);
      g.ranks.assign(rows, 0);
      for (const auto& v : study.values) {
        if (v.backbone != b || v.metric != m) continue;
        if (v.level == 0) {
          g.base = v.value;
          g.base_normalised = v.normalised;
          continue;
        }
        const std::size_t r = index_of(g.factors, v.factor);
        const auto c = static_cast<std::size_t>(
            std::find(g.levels.begin(), g.levels.end(), v.level) - g.levels.begin());
        if (r >= rows || c >= columns) continue;
        g.values[r * columns + c] = v.value;
        g.normalised[r * columns + c] = v.normalised;
        g.stds[r * columns + c] = v.std;
      }
      for (const auto& ranking : study.rankings) {
        if (ranking.backbone != b || ranking.metric != m) continue;
        for (std::size_t i = 0; i < ranking.factors.size(); ++i) {
          const std::size_t r = index_of(g.factors, ranking.factors[i]);
          if (r >= rows) continue;
          g.means[r] = ranking.scores[i];
          g.ranks[r] = static_cast<int>(i) + 1;
        }
      }
      grids.push_back(std::move(g));
    }
  }
  return grids;
}

double agreement_at(const std::vector<double>& matrix, std::size_t n, std::size_t i,
                    std::size_t j) {
  const std::size_t k = i * n + j;
  return i < n && j < n && k < matrix.size() ? matrix[k] : kNaN;
}

std::string studies_csv(const std::vector<StudyResults>& studies) {
  if (studies.empty()) return "";
  std::string out = "study,factor,level,backbone,metric,dataset,value,draws,std,normalised,rank\n";
  for (const auto& study : studies) {
    for (const auto& v : study.values) {
      std::string rank;
      for (const auto& ranking : study.rankings) {
        if (ranking.backbone != v.backbone || ranking.metric != v.metric || v.level == 0) continue;
        const std::size_t i = index_of(ranking.factors, v.factor);
        if (i < ranking.factors.size()) rank = std::to_string(i + 1);
      }
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(study.id),
                         csv_field(v.factor), level_text(v.level), csv_field(v.backbone),
                         csv_field(v.metric), csv_field(v.dataset), csv_number(v.value), v.draws,
                         optional_number(v.std), optional_number(v.normalised), rank);
    }
  }
  return out;
}

std::string study_agreement_csv(const std::vector<StudyResults>& studies) {
  if (studies.empty()) return "";
  std::string out = "study,metric,backbone_a,backbone_b,kendall_tau,spearman_rho\n";
  for (const auto& study : studies) {
    for (const auto& a : study.agreements) {
      const std::size_t n = a.backbones.size();
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
          out += fmt::format("{},{},{},{},{},{}\n", csv_field(study.id), csv_field(a.metric),
                             csv_field(a.backbones[i]), csv_field(a.backbones[j]),
                             csv_number(agreement_at(a.kendall_tau, n, i, j)),
                             csv_number(agreement_at(a.spearman_rho, n, i, j)));
    }
  }
  return out;
}

}  // namespace gensweep::report
