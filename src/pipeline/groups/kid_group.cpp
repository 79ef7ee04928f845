// Kernel Inception Distance (Bińkowski et al. 2018), metrics/kid.h.

#include <algorithm>

#include "gensweep/core/json_numbers.h"
#include "gensweep/metrics/kid.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct KidParameters {
  std::int64_t subsets = 100;
  std::int64_t subset_size = 1000;
  std::int64_t seed = 0;
  bool full = false;
  std::int64_t degree = 3;
  double gamma = 0;
  double coef0 = 1;
  std::int64_t bootstrap = 0;
  double confidence = 0.95;
  static const ParameterFields<KidParameters>& fields() {
    using P = KidParameters;
    static const ParameterFields<P> f = {
        integer_field("subsets", &P::subsets, 1, 1e6, "subset pairs averaged"),
        integer_field("subset_size", &P::subset_size, 2, kIntMax, "features per subset"),
        integer_field("seed", &P::seed, 0, kIntMax, "seed of the subset sampler"),
        boolean_field("full", &P::full,
                      "one deterministic estimate on all pairs instead of subsets"),
        integer_field("degree", &P::degree, 1, 10, "polynomial kernel degree"),
        number_field("gamma", &P::gamma, 0, kInf, "kernel scale; 0 = 1 / dimension"),
        number_field("coef0", &P::coef0, 0, kInf, "kernel offset"),
        integer_field("bootstrap", &P::bootstrap, 0, 1e6,
                      "resamples of a seeded percentile bootstrap confidence interval; 0 = none"),
        number_field("confidence", &P::confidence, 0.5, 0.999, "level of that interval"),
    };
    return f;
  }
};

// No reference state: every estimate pairs reference and evaluated subsets.
class KidGroup final : public MetricGroup {
 public:
  const char* name() const override { return "kid"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<KidParameters>(
        "kid", report::Better::kLower,
        "kernel inception distance: unbiased MMD^2, cubic polynomial kernel")};
    return m;
  }
  GroupNeeds needs() const override { return {.features = true}; }

  // When the job leaves subset_size at its default and a set is smaller, subsets shrink to the
  // smaller set (clean-fid's and StyleGAN's rule; torch-fidelity refuses) and a note says so; an
  // explicit subset_size larger than a set is an error.
  void compare(const GroupRequest& request, const ReferenceState*,
               GroupResult& result) const override {
    using json_numbers::finite_or_null;
    using Json = nlohmann::json;
    check_same_dimension(request, "kid");
    const auto p = request.parameters_of<KidParameters>("kid");
    metrics::KidOptions o;
    o.subsets = p.subsets;
    o.subset_size = p.subset_size;
    o.seed = static_cast<std::uint64_t>(p.seed);
    o.full = p.full;
    o.degree = static_cast<int>(p.degree);
    o.gamma = p.gamma;
    o.coef0 = p.coef0;
    o.bootstrap = p.bootstrap;
    o.confidence = p.confidence;
    std::vector<std::string> notes;
    const std::int64_t smaller = std::min(request.reference.count(), request.evaluated.count());
    if (!o.full && !request.parameters.at("kid").is_set("subset_size") && smaller < o.subset_size) {
      notes.push_back(fmt::format("subset_size reduced from {} to {}, the size of the smaller set",
                                  o.subset_size, smaller));
      o.subset_size = smaller;
      // Subsets drawn without replacement that hold a whole set are that set, and MMD^2_u does
      // not depend on row order: every subset estimate is the full-set value. Compute it once.
      if (request.reference.count() == request.evaluated.count()) {
        notes.push_back(
            "both sets have that size, so every subset is the whole set: computed "
            "once on all pairs (std 0)");
        o.full = true;
      }
    }
    const auto r = metrics::kernel_inception_distance(request.reference.features().view(),
                                                      request.evaluated.features().view(), o);
    MetricValue& v = result.values["kid"];
    v.value = r.mean;
    v.diagnostics = {{"std", r.std},
                     {"subsets", r.subsets},
                     {"subset_size", r.subset_size},
                     {"full", r.full},
                     {"parameters", request.parameters.at("kid").to_json()},
                     {"notes", notes}};
    if (o.bootstrap > 0) {
      v.diagnostics["ci_method"] = "percentile bootstrap";
      v.diagnostics["ci_low"] = finite_or_null<Json>(r.ci_low);
      v.diagnostics["ci_high"] = finite_or_null<Json>(r.ci_high);
      v.diagnostics["ci_level"] = o.confidence;
      v.diagnostics["bootstrap_resamples"] = o.bootstrap;
    }
  }
};

}  // namespace

const MetricGroup& kid() {
  static const KidGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
