// Precision/recall (Kynkäänniemi et al. 2019), density/coverage (Naeem et al. 2020), rarity (Han
// et al. 2022), KNN-GIQA (Gu et al. 2020): one collective k-NN pass (pipeline/manifold.h) over
// both sets, streamed block by block.
//
// Stage 1 is the k-NN radii of the reference rows for every k in use. They come from the reference
// cache when it holds them; otherwise they are a by-product of stage 2's first pass (reference x
// reference), which is cheaper than a pass of its own, and are added to the cache from there.

#include <algorithm>
#include <cmath>
#include <set>

#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/manifold.h"
#include "gensweep/pipeline/reference_cache.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct PrecisionRecallParameters {
  std::int64_t k = 3;
  bool inclusive = true;
  static const ParameterFields<PrecisionRecallParameters>& fields() {
    using P = PrecisionRecallParameters;
    static const ParameterFields<P> f = {
        integer_field("k", &P::k, 1, 1000, "k-th nearest neighbour radius"),
        boolean_field("inclusive", &P::inclusive, "membership d <= r (true) or d < r (false)"),
    };
    return f;
  }
};

struct DensityCoverageParameters {
  std::int64_t k = 5;
  bool inclusive = false;
  static const ParameterFields<DensityCoverageParameters>& fields() {
    using P = DensityCoverageParameters;
    static const ParameterFields<P> f = {
        integer_field("k", &P::k, 1, 1000, "k-th nearest neighbour radius"),
        boolean_field("inclusive", &P::inclusive, "membership d <= r (true) or d < r (false)"),
    };
    return f;
  }
};

struct RarityParameters {
  std::int64_t k = 3;
  static const ParameterFields<RarityParameters>& fields() {
    static const ParameterFields<RarityParameters> f = {
        integer_field("k", &RarityParameters::k, 1, 1000, "k-th nearest neighbour radius"),
    };
    return f;
  }
};

struct GiqaKnnParameters {
  std::int64_t k = 1;
  bool reference_eps = true;
  static const ParameterFields<GiqaKnnParameters>& fields() {
    using P = GiqaKnnParameters;
    static const ParameterFields<P> f = {
        integer_field("k", &P::k, 1, 1000, "nearest references summed"),
        boolean_field("reference_eps", &P::reference_eps,
                      "add 1e-6 to each component difference as the reference code does"),
    };
    return f;
  }
};

ManifoldOptions options_of(const GroupRequest& request) {
  ManifoldOptions o;
  o.leave_one_out = request.leave_one_out;
  o.want_precision_recall = request.wants("precision") || request.wants("recall");
  o.want_density_coverage = request.wants("density") || request.wants("coverage");
  o.want_rarity = request.wants("rarity");
  o.want_giqa_knn = request.wants("giqa_knn");
  if (o.want_precision_recall) {
    const auto p = request.parameters_of<PrecisionRecallParameters>(
        request.wants("precision") ? "precision" : "recall");
    o.k_precision_recall = static_cast<int>(p.k);
    o.precision_recall_inclusive = p.inclusive;
  }
  if (o.want_density_coverage) {
    const auto p = request.parameters_of<DensityCoverageParameters>(
        request.wants("density") ? "density" : "coverage");
    o.k_density_coverage = static_cast<int>(p.k);
    o.density_coverage_inclusive = p.inclusive;
  }
  if (o.want_rarity)
    o.k_rarity = static_cast<int>(request.parameters_of<RarityParameters>("rarity").k);
  if (o.want_giqa_knn) {
    const auto p = request.parameters_of<GiqaKnnParameters>("giqa_knn");
    o.giqa_knn_k = static_cast<int>(p.k);
    o.giqa_reference_eps = p.reference_eps;
  }
  return o;
}

// Every k whose radii the requested members use.
std::set<int> radii_ks(const ManifoldOptions& o) {
  std::set<int> ks;
  if (o.want_precision_recall) ks.insert(o.k_precision_recall);
  if (o.want_density_coverage) ks.insert(o.k_density_coverage);
  if (o.want_rarity) ks.insert(o.k_rarity);
  return ks;
}

// Stage 1's state: the radii of every k in use, or none (then stage 2 computes them all).
struct AllRadii final : ReferenceState {
  std::map<int, std::vector<double>> by_k;
};

class ManifoldGroup final : public MetricGroup {
 public:
  const char* name() const override { return "manifold"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {
        member<PrecisionRecallParameters>(
            "precision", report::Better::kHigher,
            "improved precision: evaluated samples inside the reference manifold"),
        member<PrecisionRecallParameters>(
            "recall", report::Better::kHigher,
            "improved recall: reference samples inside the evaluated manifold"),
        member<DensityCoverageParameters>(
            "density", report::Better::kHigher,
            "density: reference balls containing evaluated samples, per k"),
        member<DensityCoverageParameters>(
            "coverage", report::Better::kHigher,
            "coverage: reference balls holding at least one evaluated sample"),
        member<RarityParameters>("rarity", report::Better::kNeither,
                                 "rarity score: mean over evaluated samples inside the manifold"),
        member<GiqaKnnParameters>(
            "giqa_knn", report::Better::kHigher,
            "KNN-GIQA: mean of sum of 1 / L1 distance to the k nearest references"),
    };
    return m;
  }
  GroupNeeds needs() const override { return {.rows = true}; }
  bool collective() const override { return true; }
  bool supports_leave_one_out() const override { return true; }

  // Collective: every rank gets the same answer.
  std::shared_ptr<const ReferenceState> reference(const GroupRequest& request) const override {
    const auto ks = radii_ks(options_of(request));
    ReferenceCache* cache = request.reference_cache;
    if (cache == nullptr || ks.empty()) return nullptr;
    auto cached = cache->radii(std::vector<int>(ks.begin(), ks.end()), request.reference.count(),
                               request.comm);
    if (!cached) return nullptr;
    auto all = std::make_shared<AllRadii>();
    all->by_k = std::move(*cached);
    return all;
  }

  void compare(const GroupRequest& request, const ReferenceState* reference,
               GroupResult& result) const override {
    check_same_dimension(request, "precision/recall/density/coverage/rarity/giqa_knn");
    ManifoldOptions o = options_of(request);
    if (reference != nullptr) o.reference_radii = &dynamic_cast<const AllRadii&>(*reference).by_k;
    const auto reference_rows = request.reference.row_source();
    const auto evaluated_rows = request.evaluated.row_source();
    ManifoldResult r;
    {
      // Decisions are exact (float64 re-checks), so BLAS threads cannot change a count or radius.
      metrics::ScopedBlasThreads threads(request.threads);
      r = compute_manifold(*reference_rows, *evaluated_rows, o, request.comm);
    }
    if (!r.reference_radii_precomputed) keep_radii(request, o, r);
    if (!request.comm.is_root()) return;
    put_values(request, r, result);
    put_per_sample(o, r, result.per_sample);
  }

 private:
  // The radii stage 2 computed (complete on every rank: compute_manifold assembles them
  // everywhere) go to the reference cache.
  static void keep_radii(const GroupRequest& request, const ManifoldOptions& o,
                         const ManifoldResult& r) {
    ReferenceCache* cache = request.reference_cache;
    if (cache == nullptr || radii_ks(o).empty()) return;
    Radii computed;
    if (o.want_precision_recall) computed[o.k_precision_recall] = r.radius_precision_recall;
    if (o.want_density_coverage) computed[o.k_density_coverage] = r.radius_density_coverage;
    if (o.want_rarity) computed[o.k_rarity] = r.radius_rarity;
    cache->put_radii(computed, request.comm);
  }

  static void put_values(const GroupRequest& request, const ManifoldResult& r,
                         GroupResult& result) {
    auto put = [&](const char* metric, double value, nlohmann::json diagnostics) {
      if (!request.wants(metric)) return;
      diagnostics["parameters"] = request.parameters.at(metric).to_json();
      diagnostics["n_reference"] = request.reference.count();
      diagnostics["n_evaluated"] = request.evaluated.count();
      if (request.leave_one_out) diagnostics["leave_one_out"] = true;
      diagnostics["engine"] = r.diagnostics;
      result.values[metric] = {value, std::move(diagnostics)};
    };
    put("precision", r.precision, nlohmann::json::object());
    put("recall", r.recall, nlohmann::json::object());
    put("density", r.density, nlohmann::json::object());
    put("coverage", r.coverage, nlohmann::json::object());
    put("rarity", r.rarity_mean,
        {{"in_manifold", r.rarity_in_manifold},
         {"discarded", r.rarity_discarded},
         {"quantile_levels", {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1}},
         {"quantiles", r.rarity_quantiles},
         {"histogram_edges", r.rarity_histogram_edges},
         {"histogram_counts", r.rarity_histogram_counts}});
    put("giqa_knn", r.giqa_knn_mean, nlohmann::json::object());
  }

  static void put_per_sample(const ManifoldOptions& o, ManifoldResult& r, PerSampleArrays& out) {
    if (!r.nn_index.empty()) {
      out.integers["nn_index"] = std::move(r.nn_index);
      out.reals["nn_distance"] = std::move(r.nn_distance);
    }
    if (o.want_rarity) {
      out.reals["rarity"] = std::move(r.rarity);
      out.reals[fmt::format("reference_radius_k{}", o.k_rarity)] = std::move(r.radius_rarity);
    }
    if (o.want_precision_recall) {
      out.reals["realism"] = std::move(r.realism);
      out.reals[fmt::format("reference_radius_k{}", o.k_precision_recall)] =
          std::move(r.radius_precision_recall);
    }
    if (o.want_density_coverage) {
      out.reals[fmt::format("reference_radius_k{}", o.k_density_coverage)] =
          std::move(r.radius_density_coverage);
    }
    if (o.want_giqa_knn) out.reals["giqa_knn"] = std::move(r.giqa_knn);
  }
};

}  // namespace

const MetricGroup& manifold() {
  static const ManifoldGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
