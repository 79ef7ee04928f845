// Vendi score (Friedman & Dieng 2023), metrics/vendi.h, of the evaluated set; the reference set's
// score is recorded beside it.

#include "gensweep/metrics/vendi.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct VendiParameters {
  double q = 1;
  bool normalize = true;
  static const ParameterFields<VendiParameters>& fields() {
    using P = VendiParameters;
    static const ParameterFields<P> f = {
        number_field("q", &P::q, 0, 1e6, "order of the entropy"),
        boolean_field("normalize", &P::normalize, "L2-normalise rows (cosine similarity)"),
    };
    return f;
  }
};

metrics::VendiOptions options_of(const VendiParameters& p) {
  metrics::VendiOptions o;
  o.q = p.q;
  o.normalize = p.normalize;
  return o;
}

// Stage 1: the reference set's own score.
struct ReferenceVendi final : ReferenceState {
  double value = 0;
};

class VendiGroup final : public MetricGroup {
 public:
  const char* name() const override { return "vendi"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<VendiParameters>(
        "vendi", report::Better::kHigher, "Vendi score of the evaluated set (cosine similarity)")};
    return m;
  }
  GroupNeeds needs() const override { return {.features = true}; }

  std::shared_ptr<const ReferenceState> reference(const GroupRequest& request) const override {
    auto state = std::make_shared<ReferenceVendi>();
    state->value = metrics::vendi_score(request.reference.features().view(),
                                        options_of(request.parameters_of<VendiParameters>("vendi")))
                       .value;
    return state;
  }

  void compare(const GroupRequest& request, const ReferenceState* reference,
               GroupResult& result) const override {
    const auto& ref = dynamic_cast<const ReferenceVendi&>(*reference);
    const auto r =
        metrics::vendi_score(request.evaluated.features().view(),
                             options_of(request.parameters_of<VendiParameters>("vendi")));
    result.values["vendi"] = {r.value,
                              {{"form", r.form},
                               {"reference", ref.value},
                               {"parameters", request.parameters.at("vendi").to_json()}}};
  }
};

}  // namespace

const MetricGroup& vendi() {
  static const VendiGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
