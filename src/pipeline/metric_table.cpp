#include "gensweep/pipeline/metric_table.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "metric_groups.h"

namespace gensweep::pipeline {
namespace {

using config::ParameterSpec;
using config::ParameterType;

constexpr double kIntMax = 9.2e18;  // "no upper bound" for integers (below INT64_MAX as a double)
constexpr double kInf = std::numeric_limits<double>::infinity();

ParameterSpec integer(const char* metric, const char* name, std::int64_t def, double lo, double hi,
                      const char* what) {
  return {metric, name, ParameterType::kInteger, lo, hi, def, what};
}
ParameterSpec number(const char* metric, const char* name, double def, double lo, double hi,
                     const char* what) {
  return {metric, name, ParameterType::kNumber, lo, hi, def, what};
}
ParameterSpec boolean(const char* metric, const char* name, bool def, const char* what) {
  return {metric, name, ParameterType::kBoolean, 0, 0, def, what};
}

void add_bootstrap(std::vector<ParameterSpec>& specs, const char* metric) {
  specs.push_back(
      integer(metric, "bootstrap", 0, 0, 1e6,
              "resamples of a seeded percentile bootstrap confidence interval; 0 = none"));
  specs.push_back(number(metric, "confidence", 0.95, 0.5, 0.999, "level of that interval"));
}

std::vector<ParameterSpec> make_specs() {
  std::vector<ParameterSpec> s;
  // fd
  add_bootstrap(s, "fd");
  s.push_back(integer("fd", "seed", 0, 0, kIntMax, "seed of the bootstrap resampling"));
  // kid
  s.push_back(integer("kid", "subsets", 100, 1, 1e6, "subset pairs averaged"));
  s.push_back(integer("kid", "subset_size", 1000, 2, kIntMax, "features per subset"));
  s.push_back(integer("kid", "seed", 0, 0, kIntMax, "seed of the subset sampler"));
  s.push_back(
      boolean("kid", "full", false, "one deterministic estimate on all pairs instead of subsets"));
  s.push_back(integer("kid", "degree", 3, 1, 10, "polynomial kernel degree"));
  s.push_back(number("kid", "gamma", 0, 0, kInf, "kernel scale; 0 = 1 / dimension"));
  s.push_back(number("kid", "coef0", 1, 0, kInf, "kernel offset"));
  add_bootstrap(s, "kid");
  // is
  s.push_back(integer("is", "splits", 10, 1, 1e6, "consecutive splits (std over them)"));
  s.push_back(boolean("is", "shuffle", false, "shuffle (seeded) before splitting"));
  s.push_back(integer("is", "seed", 0, 0, kIntMax, "seed of the shuffle"));
  // k-NN manifold metrics
  for (const char* m : {"precision", "recall"}) {
    s.push_back(integer(m, "k", 3, 1, 1000, "k-th nearest neighbour radius"));
    s.push_back(boolean(m, "inclusive", true, "membership d <= r (true) or d < r (false)"));
  }
  for (const char* m : {"density", "coverage"}) {
    s.push_back(integer(m, "k", 5, 1, 1000, "k-th nearest neighbour radius"));
    s.push_back(boolean(m, "inclusive", false, "membership d <= r (true) or d < r (false)"));
  }
  s.push_back(integer("rarity", "k", 3, 1, 1000, "k-th nearest neighbour radius"));
  s.push_back(integer("giqa_knn", "k", 1, 1, 1000, "nearest references summed"));
  s.push_back(boolean("giqa_knn", "reference_eps", true,
                      "add 1e-6 to each component difference as the reference code does"));
  // GMM group
  for (const char* m : {"giqa_gmm", "qs", "ds"}) {
    s.push_back(integer(m, "components", 5, 1, 1000, "mixture components"));
    s.push_back(number(m, "pca", 0, 0, 1, "PCA to this explained-variance fraction; 0 = none"));
    s.push_back(integer(m, "seed", 0, 0, kIntMax, "seed of the k-means++ start"));
    s.push_back(number(m, "reg_covar", 1e-6, 0, kInf, "added to covariance diagonals"));
    s.push_back(integer(m, "max_iter", 100, 1, 100000, "EM iterations at most"));
    s.push_back(number(m, "tol", 1e-3, 0, kInf, "EM stops when the lower bound gains less"));
  }
  // fd_inf
  s.push_back(integer("fd_inf", "points", 15, 2, 1000, "sample sizes in the fit"));
  s.push_back(integer("fd_inf", "min_n", 5000, 2, kIntMax, "smallest sample size"));
  s.push_back(integer("fd_inf", "seed", 0, 0, kIntMax, "seed of the permutation"));
  // cmmd
  s.push_back(number("cmmd", "sigma", 10, 1e-12, kInf, "Gaussian RBF bandwidth"));
  s.push_back(boolean("cmmd", "normalize", true, "L2-normalise embeddings first"));
  // vendi
  s.push_back(number("vendi", "q", 1, 0, 1e6, "order of the entropy"));
  s.push_back(boolean("vendi", "normalize", true, "L2-normalise rows (cosine similarity)"));
  return s;
}

// Parameters that members of one group share (one pass computes them all).
struct SharedParameter {
  std::vector<const char*> metrics;
  const char* name;
};
const std::vector<SharedParameter>& shared_parameters() {
  static const std::vector<SharedParameter> shared = [] {
    std::vector<SharedParameter> s = {
        {{"precision", "recall"}, "k"},
        {{"precision", "recall"}, "inclusive"},
        {{"density", "coverage"}, "k"},
        {{"density", "coverage"}, "inclusive"},
    };
    for (const char* name : {"components", "pca", "seed", "reg_covar", "max_iter", "tol"})
      s.push_back({{"giqa_gmm", "qs", "ds"}, name});
    return s;
  }();
  return shared;
}

// The job's value of metric.name, else its default.
config::ParameterValue resolved_value(const std::string& metric, const std::string& name,
                                      const config::MetricParameterValues& set) {
  if (auto it = set.find(metric); it != set.end()) {
    if (auto v = it->second.find(name); v != it->second.end()) return v->second;
  }
  const auto* spec = config::find_parameter(metric_parameter_specs(), metric, name);
  GENSWEEP_ASSERT(spec != nullptr, "metric {} has no parameter {}", metric, name);
  return spec->default_value;
}

}  // namespace

MetricParameters::MetricParameters(const std::string& metric,
                                   const config::MetricParameterValues& set)
    : metric_(metric) {
  for (const auto& spec : metric_parameter_specs()) {
    if (spec.metric == metric) values_[spec.name] = spec.default_value;
  }
  if (auto it = set.find(metric); it != set.end()) {
    for (const auto& [name, value] : it->second) {
      values_[name] = value;
      set_.push_back(name);
    }
  }
}

const config::ParameterValue& MetricParameters::get(std::string_view name) const {
  auto it = values_.find(name);
  GENSWEEP_ASSERT(it != values_.end(), "metric {} has no parameter {}", metric_, name);
  return it->second;
}

std::int64_t MetricParameters::integer(std::string_view name) const {
  return std::get<std::int64_t>(get(name));
}

double MetricParameters::number(std::string_view name) const {
  const auto& v = get(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

bool MetricParameters::boolean(std::string_view name) const {
  return std::get<bool>(get(name));
}

bool MetricParameters::is_set(std::string_view name) const {
  return std::find(set_.begin(), set_.end(), name) != set_.end();
}

nlohmann::json MetricParameters::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values_)
    std::visit([&, n = name](const auto& v) { out[n] = v; }, value);
  return out;
}

const std::vector<config::ParameterSpec>& metric_parameter_specs() {
  static const std::vector<config::ParameterSpec> specs = make_specs();
  return specs;
}

const std::vector<MetricDefinition>& metric_table() {
  static const std::vector<MetricDefinition> table = {
      {"fd", "fd",
       "Fréchet distance between Gaussian fits of the two feature sets (FID in Inception space)"},
      {"kid", "kid", "kernel inception distance: unbiased MMD^2, cubic polynomial kernel"},
      {"is", "is", "Inception Score of the evaluated set (its features must be class logits)"},
      {"precision", "manifold",
       "improved precision: evaluated samples inside the reference manifold"},
      {"recall", "manifold", "improved recall: reference samples inside the evaluated manifold"},
      {"density", "manifold", "density: reference balls containing evaluated samples, per k"},
      {"coverage", "manifold", "coverage: reference balls holding at least one evaluated sample"},
      {"rarity", "manifold", "rarity score: mean over evaluated samples inside the manifold"},
      {"giqa_knn", "manifold",
       "KNN-GIQA: mean of sum of 1 / L1 distance to the k nearest references"},
      {"giqa_gmm", "gmm",
       "GMM-GIQA: median log-density of evaluated samples under a reference GMM"},
      {"qs", "gmm", "quality score: mean log-density of evaluated samples under a reference GMM"},
      {"ds", "gmm",
       "diversity score: mean log-density of reference samples under an evaluated GMM"},
      {"fd_inf", "fd_inf", "FD-infinity: FD extrapolated to infinitely many evaluated samples"},
      {"cmmd", "cmmd", "CMMD: 1000 x MMD^2, Gaussian RBF (sigma 10), L2-normalised embeddings"},
      {"vendi", "vendi", "Vendi score of the evaluated set (cosine similarity)"},
  };
  return table;
}

const std::vector<MetricGroup>& metric_groups() {
  static const std::vector<MetricGroup> groups = {
      {"fd", false, compute_fd_group},     {"kid", false, compute_kid_group},
      {"is", false, compute_is_group},     {"manifold", true, compute_manifold_group},
      {"gmm", false, compute_gmm_group},   {"fd_inf", false, compute_fd_inf_group},
      {"cmmd", false, compute_cmmd_group}, {"vendi", false, compute_vendi_group},
  };
  return groups;
}

const MetricDefinition& find_metric(const std::string& name) {
  for (const auto& m : metric_table()) {
    if (name == m.name) return m;
  }
  throw UsageError(
      fmt::format("unknown metric '{}' (known: {})", name, join(metric_names(), ", ")));
}

const MetricGroup& find_group(const std::string& name) {
  for (const auto& g : metric_groups()) {
    if (name == g.name) return g;
  }
  GENSWEEP_ASSERT(false, "no metric group '{}'", name);
  throw;  // unreachable
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& m : metric_table())
    names.emplace_back(m.name);
  return names;
}

void check_comparison_parameters(const std::vector<std::string>& metrics,
                                 const config::MetricParameterValues& parameters,
                                 const std::string& where) {
  for (const auto& shared : shared_parameters()) {
    const char* first = nullptr;
    config::ParameterValue first_value;
    for (const char* m : shared.metrics) {
      if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) continue;
      const config::ParameterValue value = resolved_value(m, shared.name, parameters);
      if (!first) {
        first = m;
        first_value = value;
      } else if (!(value == first_value)) {
        throw UsageError(fmt::format(
            "{}: {}.{} = {} but {}.{} = {}: these metrics come from one computation and share "
            "{}; give them the same value",
            where, first, shared.name, config::parameter_text(first_value), m, shared.name,
            config::parameter_text(value), shared.name));
      }
    }
  }
}

}  // namespace gensweep::pipeline
