// Fréchet distance (Heusel et al. 2017), metrics/frechet.h, with an optional bootstrap interval.

#include <algorithm>

#include "gensweep/core/json_numbers.h"
#include "gensweep/metrics/bootstrap.h"
#include "gensweep/metrics/frechet.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct FdParameters {
  std::int64_t bootstrap = 0;
  double confidence = 0.95;
  std::int64_t seed = 0;
  static const ParameterFields<FdParameters>& fields() {
    static const ParameterFields<FdParameters> f = {
        integer_field("bootstrap", &FdParameters::bootstrap, 0, 1e6,
                      "resamples of a seeded percentile bootstrap confidence interval; 0 = none"),
        number_field("confidence", &FdParameters::confidence, 0.5, 0.999, "level of that interval"),
        integer_field("seed", &FdParameters::seed, 0, kIntMax, "seed of the bootstrap resampling"),
    };
    return f;
  }
};

// Stage 1 is the reference statistics, which the store holds (/stats) and FeatureSet reads once
// per rank: no state of its own.
class FdGroup final : public MetricGroup {
 public:
  const char* name() const override { return "fd"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<FdParameters>(
        "fd", report::Better::kLower,
        "Fréchet distance between Gaussian fits of the two feature sets (FID in Inception space)")};
    return m;
  }
  // The raw rows only when a set has no more rows than dimensions, or for the bootstrap.
  GroupNeeds needs() const override { return {.statistics = true, .features = true}; }
  bool works_from_statistics() const override { return true; }

  // When either set has no more rows than dimensions the covariances are singular and every
  // covariance-based route loses precision in their null space, so the exact nuclear-norm route
  // on the raw features is used (see metrics/frechet.h).
  void compare(const GroupRequest& request, const ReferenceState*,
               GroupResult& result) const override {
    using json_numbers::finite_or_null;
    using Json = nlohmann::json;
    check_same_dimension(request, "fd");
    const auto& a = request.reference;
    const auto& b = request.evaluated;
    const auto p = request.parameters_of<FdParameters>("fd");
    // Imported statistics leave one route: the covariances as given (metrics/frechet.h).
    const bool imported = a.statistics_only() || b.statistics_only();
    for (const auto* set : {&a, &b}) {
      GENSWEEP_CHECK(!set->statistics_only() || p.bootstrap == 0, DataError,
                     "fd: the bootstrap interval resamples features, and {} are imported "
                     "statistics; set fd.bootstrap = 0 for this comparison",
                     set->origin());
    }
    const bool singular = !imported && std::min(a.count(), b.count()) <= a.dim();
    metrics::FrechetResult r =
        singular ? metrics::frechet_distance(a.features().view(), b.features().view())
                 : metrics::frechet_distance(a.stats(), b.stats());
    MetricValue& v = result.values["fd"];
    v.value = r.value;
    v.diagnostics = {
        {"route", r.route},
        // 0 rows: imported statistics that do not record N (null: unknown).
        {"n_reference", r.n1 > 0 ? Json(r.n1) : Json(nullptr)},
        {"n_evaluated", r.n2 > 0 ? Json(r.n2) : Json(nullptr)},
        {"dim", r.dim},
        {"rank_reference", r.rank1},
        {"rank_evaluated", r.rank2},
        {"min_eigenvalue", r.min_eigenvalue},
        // NaN there means "not computed" (Sigma1 positive definite), not a failed number: null.
        {"min_eigenvalue_sigma1", finite_or_null<Json>(r.min_eigenvalue_sigma1)},
        {"clipped_eigenvalues", r.clipped_eigenvalues},
        {"regularization", r.regularization},
        {"mean_term", r.mean_term},
        {"trace_reference", r.trace1},
        {"trace_evaluated", r.trace2},
        {"trace_sqrt", r.trace_sqrt},
        {"notes", r.notes},
    };
    if (a.statistics_only()) v.diagnostics["reference_statistics"] = a.origin();
    if (b.statistics_only()) v.diagnostics["evaluated_statistics"] = b.origin();
    if (p.bootstrap > 0) {
      const auto ci = metrics::bootstrap_fd(a.features().view(), b.features().view(), p.bootstrap,
                                            p.confidence, static_cast<std::uint64_t>(p.seed));
      // The basic (reverse percentile) interval: resampled sets hold ~63% distinct rows, so their
      // FD is biased upward and the plain percentile interval lies entirely above the estimate
      // (metrics/bootstrap.h); the basic interval corrects that bias. Both are recorded.
      v.diagnostics["ci_method"] = "basic bootstrap";
      v.diagnostics["ci_low"] = finite_or_null<Json>(ci.basic_low);
      v.diagnostics["ci_high"] = finite_or_null<Json>(ci.basic_high);
      v.diagnostics["ci_percentile"] = {finite_or_null<Json>(ci.low),
                                        finite_or_null<Json>(ci.high)};
      v.diagnostics["bootstrap_mean"] = finite_or_null<Json>(ci.resampled_mean);
      v.diagnostics["ci_level"] = ci.level;
      v.diagnostics["bootstrap_resamples"] = ci.resamples;
      v.diagnostics["bootstrap_seed"] = ci.seed;
    }
  }
};

}  // namespace

const MetricGroup& fd() {
  static const FdGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
