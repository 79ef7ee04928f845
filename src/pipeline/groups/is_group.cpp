// Inception Score (Salimans et al. 2016), metrics/inception_score.h, of the evaluated set; the
// features must be class logits (fid-inception with layer = "logits_unbiased"). The reference
// set's own score is recorded beside it.

#include "gensweep/metrics/inception_score.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct IsParameters {
  std::int64_t splits = 10;
  bool shuffle = false;
  std::int64_t seed = 0;
  static const ParameterFields<IsParameters>& fields() {
    using P = IsParameters;
    static const ParameterFields<P> f = {
        integer_field("splits", &P::splits, 1, 1e6, "consecutive splits (std over them)"),
        boolean_field("shuffle", &P::shuffle, "shuffle (seeded) before splitting"),
        integer_field("seed", &P::seed, 0, kIntMax, "seed of the shuffle"),
    };
    return f;
  }
};

metrics::InceptionScoreOptions options_of(const IsParameters& p) {
  metrics::InceptionScoreOptions o;
  o.splits = p.splits;
  if (p.shuffle) o.shuffle_seed = static_cast<std::uint64_t>(p.seed);
  return o;
}

// Stage 1: the reference set's own score, or why it has none (too few rows for the splits).
struct ReferenceScore final : ReferenceState {
  nlohmann::json score = nullptr;  // {"mean", "std"} or null
  std::string problem;
};

class InceptionScoreGroup final : public MetricGroup {
 public:
  const char* name() const override { return "is"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<IsParameters>(
        "is", report::Better::kHigher,
        "Inception Score of the evaluated set (its features must be class logits)")};
    return m;
  }
  GroupNeeds needs() const override { return {.features = true}; }

  std::shared_ptr<const ReferenceState> reference(const GroupRequest& request) const override {
    auto state = std::make_shared<ReferenceScore>();
    try {
      const auto ref =
          metrics::inception_score(request.reference.features().view(),
                                   options_of(request.parameters_of<IsParameters>("is")));
      state->score = {{"mean", ref.mean}, {"std", ref.std}};
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kData) throw;
      state->problem = e.what();
    }
    return state;
  }

  void compare(const GroupRequest& request, const ReferenceState* reference,
               GroupResult& result) const override {
    const auto& ref = dynamic_cast<const ReferenceScore&>(*reference);
    const auto o = options_of(request.parameters_of<IsParameters>("is"));
    const auto r = metrics::inception_score(request.evaluated.features().view(), o);
    std::vector<std::string> notes;
    if (request.evaluated.dim() != 1008) {
      notes.push_back(fmt::format(
          "features have {} dimensions, not the 1008 logits of FID Inception: this is a score "
          "over {} classes, not comparable with published Inception Scores",
          request.evaluated.dim(), request.evaluated.dim()));
    }
    if (!ref.problem.empty())
      notes.push_back(fmt::format("no score for the reference set: {}", ref.problem));
    MetricValue& v = result.values["is"];
    v.value = r.mean;
    v.diagnostics = {{"std", r.std},
                     {"splits", o.splits},
                     {"per_split", r.per_split},
                     {"reference", ref.score},
                     {"parameters", request.parameters.at("is").to_json()},
                     {"notes", notes}};
  }
};

}  // namespace

const MetricGroup& inception_score() {
  static const InceptionScoreGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
