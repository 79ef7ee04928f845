#include "gensweep/pipeline/study_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

#include "gensweep/metrics/rank_agreement.h"

namespace gensweep::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using EntryKey = std::tuple<std::string, std::string, std::string>;  // evaluated, backbone, metric

// The entries of the study's reference, by (evaluated, backbone, metric); the first of duplicates.
std::map<EntryKey, double> values_against(const std::string& reference,
                                          const std::vector<report::MetricEntry>& entries) {
  std::map<EntryKey, double> values;
  for (const auto& e : entries)
    if (e.reference == reference)
      values.emplace(EntryKey{e.evaluated, e.backbone, e.metric}, e.value);
  return values;
}

double lookup(const std::map<EntryKey, double>& values, const std::string& dataset,
              const std::string& backbone, const std::string& metric) {
  const auto it = values.find(EntryKey{dataset, backbone, metric});
  return it == values.end() ? kNaN : it->second;
}

// The cells of one (factor, level), every draw: the datasets whose entries a value averages.
struct GridPoint {
  std::string factor;
  double level = 0;
  std::vector<std::string> datasets;  // draw order
};

std::vector<GridPoint> grid_points(const StudyPlan& study) {
  std::vector<GridPoint> points;
  for (const auto& cell : study.cells) {
    auto it = std::find_if(points.begin(), points.end(), [&](const GridPoint& p) {
      return p.factor == cell.factor && p.level == cell.level;
    });
    if (it == points.end()) {
      points.push_back({cell.factor, cell.level, {}});
      it = points.end() - 1;
    }
    it->datasets.push_back(cell.dataset);
  }
  return points;
}

// Mean over the draws' entries (NaN when one is missing) and their sample standard deviation.
struct Summary {
  double mean = kNaN;
  std::optional<double> std;
};

Summary summarise(const std::map<EntryKey, double>& values, const GridPoint& point,
                  const std::string& backbone, const std::string& metric) {
  std::vector<double> xs;
  for (const auto& dataset : point.datasets)
    xs.push_back(lookup(values, dataset, backbone, metric));
  Summary out;
  double sum = 0;
  for (double x : xs)
    sum += x;
  out.mean = sum / static_cast<double>(xs.size());
  if (xs.size() > 1) {
    double squares = 0;
    for (double x : xs)
      squares += (x - out.mean) * (x - out.mean);
    out.std = std::sqrt(squares / static_cast<double>(xs.size() - 1));
  }
  return out;
}

}  // namespace

report::StudyResults analyse_study(const StudyPlan& study,
                                   const std::vector<report::MetricEntry>& entries,
                                   const report::TableOptions& options) {
  report::StudyResults out;
  out.id = study.id;
  out.kind = study.kind;
  out.reference = study.reference;
  out.base = study.base;
  out.factor_name = study.factor_name;
  out.level_name = study.level_name;
  out.factors = study.factors;
  out.levels = study.levels;
  out.backbones = study.backbones;
  out.metrics = study.metrics;
  if (study.normalise_by) {
    out.normalised_by_factor = study.normalise_by->first;
    out.normalised_by_level = study.normalise_by->second;
  }
  const auto values = values_against(study.reference, entries);
  const std::vector<GridPoint> points = grid_points(study);

  // The summary of every (point, backbone, metric), and the divisor of each (backbone, metric):
  // the normalising point's mean.
  std::map<std::tuple<std::size_t, std::string, std::string>, Summary> summaries;
  std::map<std::pair<std::string, std::string>, double> divisor;
  for (std::size_t p = 0; p < points.size(); ++p) {
    for (const auto& b : study.backbones) {
      for (const auto& m : study.metrics) {
        const Summary s = summarise(values, points[p], b, m);
        summaries[{p, b, m}] = s;
        if (study.normalise_by && points[p].factor == study.normalise_by->first &&
            points[p].level == study.normalise_by->second)
          divisor[{b, m}] = s.mean;
      }
    }
  }
  for (std::size_t p = 0; p < points.size(); ++p) {
    for (const auto& b : study.backbones) {
      for (const auto& m : study.metrics) {
        const Summary& s = summaries.at({p, b, m});
        report::StudyValue v;
        v.factor = points[p].factor;
        v.level = points[p].level;
        v.backbone = b;
        v.metric = m;
        v.dataset = points[p].datasets.front();
        v.value = s.mean;
        v.draws = static_cast<int>(points[p].datasets.size());
        v.std = s.std;
        if (const auto it = divisor.find({b, m});
            it != divisor.end() && std::isfinite(it->second) && it->second != 0)
          v.normalised = v.value / it->second;
        out.values.push_back(std::move(v));
      }
    }
  }

  // Per (backbone, metric): each factor's mean over its levels (a corruptions base's level 0 left
  // out, it belongs to no factor).
  for (const auto& m : study.metrics) {
    const report::Better better = options.better_for(m);
    if (better == report::Better::kNeither) continue;
    std::map<std::string, std::vector<double>> means;  // backbone -> per factor, job order
    for (const auto& b : study.backbones) {
      std::vector<double>& per_factor = means[b];
      for (const auto& f : study.factors) {
        double sum = 0;
        int count = 0;
        for (std::size_t p = 0; p < points.size(); ++p) {
          if (points[p].factor != f) continue;
          sum += summaries.at({p, b, m}).mean;
          ++count;
        }
        per_factor.push_back(count ? sum / count : kNaN);
      }
      report::StudyRanking ranking;
      ranking.backbone = b;
      ranking.metric = m;
      std::vector<std::size_t> order;
      for (std::size_t i = 0; i < study.factors.size(); ++i)
        if (std::isfinite(per_factor[i])) order.push_back(i);
      // Most affected first; equal means keep the job's order.
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) {
        return better == report::Better::kLower ? per_factor[a] > per_factor[c]
                                                : per_factor[a] < per_factor[c];
      });
      for (std::size_t i : order) {
        ranking.factors.push_back(study.factors[i]);
        ranking.scores.push_back(per_factor[i]);
      }
      out.rankings.push_back(std::move(ranking));
    }

    report::StudyAgreement agreement;
    agreement.metric = m;
    agreement.backbones = study.backbones;
    const std::size_t n = study.backbones.size();
    agreement.kendall_tau.assign(n * n, kNaN);
    agreement.spearman_rho.assign(n * n, kNaN);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        // The factors both spaces could rank.
        std::vector<double> x, y;
        const auto& a = means[study.backbones[i]];
        const auto& c = means[study.backbones[j]];
        for (std::size_t f = 0; f < a.size(); ++f) {
          if (!std::isfinite(a[f]) || !std::isfinite(c[f])) continue;
          x.push_back(a[f]);
          y.push_back(c[f]);
        }
        if (x.size() < 2) continue;  // nothing to rank (NaN stays)
        agreement.kendall_tau[i * n + j] = metrics::kendall_tau(x, y);
        agreement.spearman_rho[i * n + j] = metrics::spearman_rho(x, y);
      }
    }
    out.agreements.push_back(std::move(agreement));
  }
  return out;
}

std::vector<report::StudyResults> analyse_studies(const std::vector<StudyPlan>& studies,
                                                  const std::vector<report::MetricEntry>& entries,
                                                  const report::TableOptions& options) {
  std::vector<report::StudyResults> out;
  for (const auto& study : studies)
    out.push_back(analyse_study(study, entries, options));
  return out;
}

}  // namespace gensweep::pipeline
