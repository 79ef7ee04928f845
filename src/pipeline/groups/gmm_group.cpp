// GMM-GIQA (Gu et al. 2020), quality score and diversity score, metrics/gmm.h. giqa_gmm reports
// the median of the per-sample log-densities (the per-sample scores are what GIQA is for; they go
// to the per-sample file); qs their mean. Stage 1, the reference fit (PCA and mixture), depends on
// the reference rows and the fit parameters only: it is kept in the reference cache. Both stages
// are metrics::giqa_gmm's own (fit_giqa_reference, then giqa_gmm given the fit), so a cached fit
// gives the same bits (tests/pipeline: reference_cache_test).

#include <algorithm>
#include <cmath>
#include <limits>

#include "../cache_encoding.h"
#include "gensweep/core/sha256.h"
#include "gensweep/metrics/gmm.h"
#include "gensweep/pipeline/reference_cache.h"
#include "groups.h"

namespace gensweep::pipeline::groups {
namespace {

using cache_detail::bits_hex;
using cache_detail::from_bits_hex;

struct GmmParameters {
  std::int64_t components = 5;
  double pca = 0;
  std::int64_t seed = 0;
  double reg_covar = 1e-6;
  std::int64_t max_iter = 100;
  double tol = 1e-3;
  static const ParameterFields<GmmParameters>& fields() {
    using P = GmmParameters;
    static const ParameterFields<P> f = {
        integer_field("components", &P::components, 1, 1000, "mixture components"),
        number_field("pca", &P::pca, 0, 1, "PCA to this explained-variance fraction; 0 = none"),
        integer_field("seed", &P::seed, 0, kIntMax, "seed of the k-means++ start"),
        number_field("reg_covar", &P::reg_covar, 0, kInf, "added to covariance diagonals"),
        integer_field("max_iter", &P::max_iter, 1, 100000, "EM iterations at most"),
        number_field("tol", &P::tol, 0, kInf, "EM stops when the lower bound gains less"),
    };
    return f;
  }
};

metrics::GiqaGmmOptions options_of(const GmmParameters& p, int threads) {
  metrics::GiqaGmmOptions o;
  o.gmm.components = p.components;
  o.gmm.reg_covar = p.reg_covar;
  o.gmm.tol = p.tol;
  o.gmm.max_iter = p.max_iter;
  o.gmm.seed = static_cast<std::uint64_t>(p.seed);
  o.gmm.threads = threads;
  o.pca_fraction = p.pca;
  return o;
}

// The fit parameters that key a reference fit (canonical JSON text, sorted keys).
std::string fit_key(const GmmParameters& p) {
  const nlohmann::json key = {{"components", p.components},
                              {"reg_covar", p.reg_covar},
                              {"tol", p.tol},
                              {"max_iter", p.max_iter},
                              {"seed", static_cast<std::uint64_t>(p.seed)},
                              {"pca", p.pca}};
  return key.dump();
}

struct ReferenceFit final : ReferenceState {
  metrics::GiqaReference fit;
};

// Side-file layout (results_schema/STORE_LAYOUT.md): gmm/<sha256(parameters)[:16]>/ weights (with
// the fit's facts as attributes), means, covariances, precisions_cholesky, lower_bounds, and the
// PCA's mean, components and explained variance ratio when there is one.
StateCodec codec_of(const GmmParameters& p) {
  const std::string parameters = fit_key(p);
  StateCodec codec;
  codec.prefix = "gmm/" + sha256_hex(parameters).substr(0, 16) + "/";
  codec.encode = [parameters, prefix = codec.prefix](const ReferenceState& state) {
    const auto& fit = dynamic_cast<const ReferenceFit&>(state).fit;
    const auto& m = fit.model;
    const std::string& p = prefix;
    const std::int64_t k = m.components, d = m.dim;
    std::map<std::string, store::SideArray> out;
    out[p + "weights"] = side_reals({k}, m.weights,
                                    {{"kind", "gmm"},
                                     {"parameters", parameters},
                                     {"covariance_type", "full"},
                                     {"components", std::to_string(k)},
                                     {"dim", std::to_string(d)},
                                     {"iterations", std::to_string(m.iterations)},
                                     {"converged", m.converged ? "1" : "0"},
                                     {"lower_bound", fmt::format("{}", m.lower_bound)},
                                     {"lower_bound_bits", bits_hex(m.lower_bound)},
                                     {"seed", std::to_string(m.seed)},
                                     {"kmeans_iterations", std::to_string(m.kmeans_iterations)},
                                     {"pca_dim_in", std::to_string(fit.pca.dim_in)},
                                     {"pca_dim_out", std::to_string(fit.pca.dim_out)}});
    out[p + "means"] = side_reals({k, d}, m.means);
    out[p + "covariances"] = side_reals({k, d, d}, m.covariances);
    out[p + "precisions_cholesky"] = side_reals({k, d, d}, m.precisions_cholesky);
    out[p + "lower_bounds"] =
        side_reals({static_cast<std::int64_t>(m.lower_bounds.size())}, m.lower_bounds);
    if (fit.pca.dim_out > 0) {
      out[p + "pca_mean"] = side_reals({fit.pca.dim_in}, fit.pca.mean);
      out[p + "pca_components"] = side_reals({fit.pca.dim_out, fit.pca.dim_in}, fit.pca.components);
      out[p + "pca_explained_variance_ratio"] =
          side_reals({fit.pca.dim_out}, fit.pca.explained_variance_ratio);
    }
    return out;
  };
  codec.decode = [parameters,
                  prefix = codec.prefix](const std::map<std::string, store::SideArray>& arrays)
      -> std::shared_ptr<const ReferenceState> {
    const std::string& p = prefix;
    auto it = arrays.find(p + "weights");
    if (it == arrays.end()) throw UnusableState("no fit for these parameters");
    const auto& w = it->second;
    const std::string where = p + "weights";
    if (side_attribute(w, "kind", where) != "gmm" ||
        side_attribute(w, "parameters", where) != parameters)
      throw UnusableState(fmt::format("{} holds a fit for other parameters", where));
    auto state = std::make_shared<ReferenceFit>();
    auto& fit = state->fit;
    auto& m = fit.model;
    m.components = side_integer(w, "components", where);
    m.dim = side_integer(w, "dim", where);
    m.iterations = side_integer(w, "iterations", where);
    m.converged = side_integer(w, "converged", where) != 0;
    auto lower_bound = from_bits_hex(side_attribute(w, "lower_bound_bits", where));
    if (!lower_bound) throw UnusableState(fmt::format("{}: bad lower_bound_bits", where));
    m.lower_bound = *lower_bound;
    m.seed = static_cast<std::uint64_t>(side_integer(w, "seed", where));
    m.kmeans_iterations = side_integer(w, "kmeans_iterations", where);
    const std::int64_t k = m.components, d = m.dim;
    if (k < 1 || d < 1) throw UnusableState(fmt::format("{}: K = {}, D = {}", where, k, d));
    m.weights = side_array(arrays, p + "weights", {k}).reals;
    m.means = side_array(arrays, p + "means", {k, d}).reals;
    m.covariances = side_array(arrays, p + "covariances", {k, d, d}).reals;
    m.precisions_cholesky = side_array(arrays, p + "precisions_cholesky", {k, d, d}).reals;
    auto lb = arrays.find(p + "lower_bounds");
    if (lb == arrays.end() || lb->second.integer || lb->second.shape.size() != 1)
      throw UnusableState(fmt::format("{}lower_bounds is missing or malformed", p));
    m.lower_bounds = lb->second.reals;
    fit.pca.dim_in = side_integer(w, "pca_dim_in", where);
    fit.pca.dim_out = side_integer(w, "pca_dim_out", where);
    if (fit.pca.dim_out > 0) {
      const std::int64_t in = fit.pca.dim_in, o = fit.pca.dim_out;
      if (o != d)
        throw UnusableState(fmt::format("{}: PCA output {} != GMM dimension {}", p, o, d));
      fit.pca.mean = side_array(arrays, p + "pca_mean", {in}).reals;
      fit.pca.components = side_array(arrays, p + "pca_components", {o, in}).reals;
      fit.pca.explained_variance_ratio =
          side_array(arrays, p + "pca_explained_variance_ratio", {o}).reals;
    }
    return state;
  };
  return codec;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0  ? std::numeric_limits<double>::quiet_NaN()
         : n % 2 ? v[n / 2]
                 : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

class GmmGroup final : public MetricGroup {
 public:
  const char* name() const override { return "gmm"; }
  const std::vector<MetricMember>& members() const override {
    static const std::vector<MetricMember> m = {
        member<GmmParameters>(
            "giqa_gmm", report::Better::kHigher,
            "GMM-GIQA: median log-density of evaluated samples under a reference GMM"),
        member<GmmParameters>(
            "qs", report::Better::kHigher,
            "quality score: mean log-density of evaluated samples under a reference GMM"),
        member<GmmParameters>(
            "ds", report::Better::kHigher,
            "diversity score: mean log-density of reference samples under an evaluated GMM"),
    };
    return m;
  }
  GroupNeeds needs() const override { return {.features = true}; }
  bool prepares_reference() const override { return true; }

  std::shared_ptr<const ReferenceState> reference(const GroupRequest& request) const override {
    const auto p = request.group_parameters<GmmParameters>();
    const StateCodec codec = codec_of(p);
    ReferenceCache* cache = request.reference_cache;
    if (cache != nullptr) {
      if (auto state = cache->find(codec)) return state;
    }
    auto state = std::make_shared<ReferenceFit>();
    state->fit = metrics::fit_giqa_reference(request.reference.features().view(),
                                             options_of(p, request.threads));
    if (cache != nullptr) {
      cache->put(codec, state);
      cache->count_computed(1);
    }
    return state;
  }

  void compare(const GroupRequest& request, const ReferenceState* reference,
               GroupResult& result) const override {
    check_same_dimension(request, "giqa_gmm/qs/ds");
    const auto& fit = dynamic_cast<const ReferenceFit&>(*reference).fit;
    const auto p = request.group_parameters<GmmParameters>();
    const bool diversity = request.wants("ds");
    auto r = metrics::giqa_gmm(fit, request.reference.features().view(),
                               request.evaluated.features().view(), options_of(p, request.threads),
                               diversity);
    const nlohmann::json facts = {
        {"components", fit.model.components},
        {"pca_dim", fit.pca.dim_out},
        {"iterations", fit.model.iterations},
        {"converged", fit.model.converged},
        {"lower_bound", fit.model.lower_bound},
        {"parameters", request.parameters.at(request.metrics.front()).to_json()},
    };
    if (request.wants("giqa_gmm")) result.values["giqa_gmm"] = {median_of(r.scores), facts};
    if (request.wants("qs")) result.values["qs"] = {r.quality_score, facts};
    if (diversity) {
      nlohmann::json d = facts;
      d["evaluated_fit"] = {{"iterations", r.evaluated_model.iterations},
                            {"converged", r.evaluated_model.converged},
                            {"lower_bound", r.evaluated_model.lower_bound}};
      result.values["ds"] = {r.diversity_score, d};
    }
    result.per_sample.reals["giqa_gmm"] = std::move(r.scores);
  }
};

}  // namespace

const MetricGroup& gmm() {
  static const GmmGroup group;
  return group;
}

}  // namespace gensweep::pipeline::groups
