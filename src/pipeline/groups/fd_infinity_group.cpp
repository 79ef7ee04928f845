// FD-infinity (Chong & Forsyth 2020), metrics/fd_infinity.h.

#include "gensweep/metrics/fd_infinity.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

struct FdInfinityParameters {
  std::int64_t points = 15;
  std::int64_t min_n = 5000;
  std::int64_t seed = 0;
  static const ParameterFields<FdInfinityParameters>& fields() {
    using P = FdInfinityParameters;
    static const ParameterFields<P> f = {
        integer_field("points", &P::points, 2, 1000, "sample sizes in the fit"),
        integer_field("min_n", &P::min_n, 2, kIntMax, "smallest sample size"),
        integer_field("seed", &P::seed, 0, kIntMax, "seed of the permutation"),
    };
    return f;
  }
};

// Stage 1 is the reference statistics, which the store holds: no state of its own.
class FdInfinityGroup final : public MetricGroup {
 public:
  const char* name() const override { return "fd_inf"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {member<FdInfinityParameters>(
        "fd_inf", report::Better::kLower,
        "FD-infinity: FD extrapolated to infinitely many evaluated samples")};
    return m;
  }
  // Reference statistics, evaluated rows.
  GroupNeeds needs() const override { return {.statistics = true, .features = true}; }

  void compare(const GroupRequest& request, const ReferenceState*,
               GroupResult& result) const override {
    check_same_dimension(request, "fd_inf");
    const auto p = request.parameters_of<FdInfinityParameters>("fd_inf");
    metrics::FdInfinityOptions o;
    o.points = static_cast<int>(p.points);
    o.min_n = p.min_n;
    o.seed = static_cast<std::uint64_t>(p.seed);
    const auto r =
        metrics::fd_infinity(request.reference.stats(), request.evaluated.features().view(), o);
    result.values["fd_inf"] = {r.value,
                               {{"slope", r.slope},
                                {"sizes", r.sizes},
                                {"fd_at_sizes", r.fds},
                                {"parameters", request.parameters.at("fd_inf").to_json()}}};
  }
};

}  // namespace

const MetricGroup& fd_infinity() {
  static const FdInfinityGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
