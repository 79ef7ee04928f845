// CMMD (Jayasumana et al. 2024), metrics/cmmd.h.

#include "gensweep/metrics/cmmd.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct CmmdParameters {
  double sigma = 10;
  bool normalize = true;
  static const ParameterFields<CmmdParameters>& fields() {
    using P = CmmdParameters;
    static const ParameterFields<P> f = {
        number_field("sigma", &P::sigma, 1e-12, kInf, "Gaussian RBF bandwidth"),
        boolean_field("normalize", &P::normalize, "L2-normalise embeddings first"),
    };
    return f;
  }
};

// No reference state: the kernel sums pair rows of both sets.
class CmmdGroup final : public MetricGroup {
 public:
  const char* name() const override { return "cmmd"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<CmmdParameters>(
        "cmmd", report::Better::kLower,
        "CMMD: 1000 x MMD^2, Gaussian RBF (sigma 10), L2-normalised embeddings")};
    return m;
  }
  GroupNeeds needs() const override { return {.features = true}; }

  void compare(const GroupRequest& request, const ReferenceState*,
               GroupResult& result) const override {
    check_same_dimension(request, "cmmd");
    const auto p = request.parameters_of<CmmdParameters>("cmmd");
    metrics::CmmdOptions o;
    o.sigma = p.sigma;
    o.normalize = p.normalize;
    const double value =
        metrics::cmmd(request.reference.features().view(), request.evaluated.features().view(), o);
    result.values["cmmd"] = {
        value, {{"scale", o.scale}, {"parameters", request.parameters.at("cmmd").to_json()}}};
  }
};

}  // namespace

const MetricGroup& cmmd() {
  static const CmmdGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
