#include "gensweep/pipeline/metric_table.h"

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "gensweep/metrics/frechet.h"

namespace gensweep::pipeline {
namespace {

// Fréchet distance (Heusel et al. 2017). When either set has no more rows than dimensions the
// covariances are singular and every covariance-based route loses precision in their null space,
// so the exact nuclear-norm route on the raw features is used (see metrics/frechet.h).
void compute_fd(const MetricContext& ctx, report::MetricEntry& entry) {
  const auto& a = ctx.reference;
  const auto& b = ctx.evaluated;
  GENSWEEP_CHECK(a.dim() == b.dim(), NumericalError, "fd: {} has dimension {} but {} has {}",
                 entry.reference, a.dim(), entry.evaluated, b.dim());
  const bool singular = std::min(a.count(), b.count()) <= a.dim();
  metrics::FrechetResult r =
      singular ? metrics::frechet_distance(a.features().view(), b.features().view())
               : metrics::frechet_distance(a.stats(), b.stats());
  entry.value = r.value;
  entry.diagnostics = {
      {"route", r.route},
      {"n_reference", r.n1},
      {"n_evaluated", r.n2},
      {"dim", r.dim},
      {"rank_reference", r.rank1},
      {"rank_evaluated", r.rank2},
      {"min_eigenvalue", r.min_eigenvalue},
      // NaN there means "not computed" (Sigma1 positive definite), not a failed number: null.
      {"min_eigenvalue_sigma1", std::isnan(r.min_eigenvalue_sigma1)
                                    ? nlohmann::json(nullptr)
                                    : nlohmann::json(r.min_eigenvalue_sigma1)},
      {"clipped_eigenvalues", r.clipped_eigenvalues},
      {"regularization", r.regularization},
      {"mean_term", r.mean_term},
      {"trace_reference", r.trace1},
      {"trace_evaluated", r.trace2},
      {"trace_sqrt", r.trace_sqrt},
      {"notes", r.notes},
  };
}

}  // namespace

const std::vector<MetricDefinition>& metric_table() {
  static const std::vector<MetricDefinition> table = {
      {"fd",
       "Fréchet distance between Gaussian fits of the two feature sets (FID in Inception space)",
       compute_fd},
  };
  return table;
}

const MetricDefinition& find_metric(const std::string& name) {
  for (const auto& m : metric_table()) {
    if (name == m.name) return m;
  }
  throw UsageError(
      fmt::format("unknown metric '{}' (known: {})", name, join(metric_names(), ", ")));
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& m : metric_table())
    names.emplace_back(m.name);
  return names;
}

}  // namespace gensweep::pipeline
