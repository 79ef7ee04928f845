#pragma once
// The metric table: every metric a job or `gensweep compare --metrics` may name, its parameters
// (with defaults and ranges), and the group that computes it. Plain tables, no self-registration
// (STYLE.md).
//
// Metrics that share work form one group and are computed together: precision, recall, density,
// coverage, rarity and giqa_knn come from one collective k-NN pass over the two sets
// (pipeline/manifold.h); giqa_gmm, qs and ds share the fitted mixtures. Members of a group that
// share a parameter (precision.k and recall.k) must agree on it; check_comparison_parameters says
// so before anything runs.

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/config/metric_parameters.h"
#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/feature_set.h"

namespace gensweep::pipeline {

// One metric's parameters as resolved for one comparison: the job's values over the defaults.
class MetricParameters {
 public:
  MetricParameters() = default;
  MetricParameters(const std::string& metric, const config::MetricParameterValues& set);

  std::int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  // Whether the job or the command line set it (else it holds its default).
  bool is_set(std::string_view name) const;
  // Every parameter with its resolved value: recorded in the results' diagnostics.
  nlohmann::json to_json() const;

 private:
  const config::ParameterValue& get(std::string_view name) const;
  std::string metric_;
  std::map<std::string, config::ParameterValue, std::less<>> values_;
  std::vector<std::string> set_;
};

// Per-sample arrays a group produced, by dataset name ("rarity", "nn_index", ...). Per evaluated
// sample unless the name starts with "reference_" (per reference sample).
struct PerSampleArrays {
  std::map<std::string, std::vector<double>> reals;
  std::map<std::string, std::vector<std::int64_t>> integers;
  bool empty() const { return reals.empty() && integers.empty(); }
};

struct MetricValue {
  double value = 0;
  nlohmann::json diagnostics = nlohmann::json::object();
};

class ReferenceCache;  // pipeline/reference_cache.h

struct GroupRequest {
  const FeatureSet& reference;
  const FeatureSet& evaluated;
  std::vector<std::string> metrics;                    // requested members, in job order
  std::map<std::string, MetricParameters> parameters;  // one per requested member
  const dist::Comm& comm;  // every rank takes part in a collective group; others see a serial twin
  int threads = 1;         // threads this rank may use (BLAS stays at one: reproducible sums)
  // The reference set's cached structures (k-NN radii, GMM fits), or null: groups that use one
  // take it from there when present and add it when they compute it. Results are the same bits.
  ReferenceCache* reference_cache = nullptr;
};

struct GroupResult {
  std::map<std::string, MetricValue> values;  // one per requested member (complete on rank 0)
  PerSampleArrays per_sample;                 // rank 0
};

struct MetricGroup {
  const char* name;
  bool collective;  // all ranks compute it together (else one rank computes it alone)
  std::function<void(const GroupRequest&, GroupResult&)> compute;
};

struct MetricDefinition {
  const char* name;
  const char* group;
  const char* description;
};

const std::vector<MetricDefinition>& metric_table();
const std::vector<MetricGroup>& metric_groups();
const MetricDefinition& find_metric(const std::string& name);  // UsageError when unknown
const MetricGroup& find_group(const std::string& name);
std::vector<std::string> metric_names();
// The parameters of every metric, with defaults and ranges (config checks jobs and flags by them).
const std::vector<config::ParameterSpec>& metric_parameter_specs();

// Members of one group that share a parameter must agree on it. Throws UsageError naming both
// values ("precision.k = 5 but recall.k = 3: ...") for `where` (e.g. "jobs/x.toml:12:1").
void check_comparison_parameters(const std::vector<std::string>& metrics,
                                 const config::MetricParameterValues& parameters,
                                 const std::string& where);

}  // namespace gensweep::pipeline
