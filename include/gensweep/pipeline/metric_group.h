#pragma once
// A metric group: metrics that share work and are computed together (precision, recall, density,
// coverage, rarity and giqa_knn from one collective k-NN pass; giqa_gmm, qs and ds from one
// mixture fit). In the spirit of torch-fidelity's features -> statistics -> metric, each group is
// a type with
//
//   members()    the metrics it computes, each with its description and typed parameters
//                (pipeline/metric_parameters.h); members that share a parameter struct must agree
//                on it (check_comparison_parameters)
//   needs()      what it reads of the two sets, so the reduce stage loads only that
//   reference()  stage 1: what it computes from the reference set alone (statistics, k-NN radii,
//                a fitted mixture, the reference's own score), made once per reference set and
//                parameters, kept for every row of a table and, where worth it, in the reference
//                cache through the state's codec (pipeline/reference_cache.h)
//   compare()    stage 2: reference state + evaluated set -> values, diagnostics, per-sample
//                arrays
//
// Adding a metric family is one group type in its own file (src/pipeline/groups/) and one entry
// in the table (metric_table.cpp).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/config/metric_parameters.h"
#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/metric_parameters.h"
#include "gensweep/report/tables.h"

namespace gensweep::pipeline {

class ReferenceCache;  // pipeline/reference_cache.h

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

struct GroupResult {
  std::map<std::string, MetricValue> values;  // one per requested member (complete on rank 0)
  PerSampleArrays per_sample;                 // rank 0
};

struct GroupRequest {
  const FeatureSet& reference;
  const FeatureSet& evaluated;
  std::vector<std::string> metrics;                    // requested members, in job order
  std::map<std::string, MetricParameters> parameters;  // one per requested member
  const dist::Comm& comm;  // every rank takes part in a collective group; others see a serial twin
  int threads = 1;         // threads this rank may use (BLAS stays at one: reproducible sums)
  // The reference set's cached states (k-NN radii, GMM fits), or null: stage 1 takes them from
  // there when present and adds them when it computes them. Results are the same bits.
  ReferenceCache* reference_cache = nullptr;
  // The evaluated set is the reference set itself and each sample's own ball and the sample as its
  // own neighbour are excluded (leave-one-out); only groups that support_leave_one_out() get it.
  bool leave_one_out = false;

  bool wants(const std::string& metric) const;
  // The typed parameters of `metric` (which must be requested).
  template <typename P>
  P parameters_of(const std::string& metric) const {
    auto it = parameters.find(metric);
    GENSWEEP_ASSERT(it != parameters.end(), "metric {} was not requested", metric);
    return it->second.template as<P>();
  }
  // The typed parameters of the first requested member: members of a group that share a
  // parameter struct agree on it (check_comparison_parameters), so any one speaks for them.
  template <typename P>
  P group_parameters() const {
    return parameters_of<P>(metrics.front());
  }
};

// What a group reads of each set.
struct GroupNeeds {
  bool statistics = false;  // mean and covariance (the store's /stats: no row is read)
  bool features = false;    // every valid row in memory
  bool rows = false;        // the rows streamed block by block (k-NN passes)
};

// What stage 1 made of the reference set. Groups derive their own state types.
class ReferenceState {
 public:
  virtual ~ReferenceState() = default;
};

// A member metric: its name, what it is, its parameters' specs (from the typed struct) and which
// struct that is: members of a group with the same struct share one computation's parameters and
// must agree on them (precision and recall share k and inclusive).
struct MetricMember {
  const char* name;
  report::Better better;  // which way it improves: marks the best value in paper tables
  const char* description;
  std::vector<config::ParameterSpec> parameters;
  const void* parameter_struct = nullptr;  // identifies P (the address of P::fields())
};

// The member `name` whose parameters are the struct P (metric_parameters.h).
template <typename P>
MetricMember member(const char* name, report::Better better, const char* description) {
  return {name, better, description, parameter_specs<P>(name), &P::fields()};
}

class MetricGroup {
 public:
  virtual ~MetricGroup() = default;
  virtual const char* name() const = 0;
  virtual const std::vector<MetricMember>& members() const = 0;
  virtual GroupNeeds needs() const = 0;
  // All ranks compute it together (else one rank computes it alone, with a serial twin).
  virtual bool collective() const { return false; }
  // It can compare imported statistics (FeatureSet::statistics_only): a mean and a covariance.
  virtual bool works_from_statistics() const { return false; }
  // It can compare a set against itself leave-one-out (GroupRequest::leave_one_out): the k-NN
  // group. Other groups are not computed for a set against itself (docs/METRICS.md, "Both ways").
  virtual bool supports_leave_one_out() const { return false; }

  // Whether stage 1's state goes to the reference cache's side file, made by one rank: the reduce
  // stage then runs stage 1 once per reference set and parameters before dealing the items, so
  // that one rank writes it and every item finds it there.
  virtual bool prepares_reference() const { return false; }
  // Stage 1 (collective for a collective group): the reference state of this request, from the
  // request's reference cache or computed (and added to it); null when the group keeps none, or
  // (manifold) when it is made as a by-product of stage 2.
  virtual std::shared_ptr<const ReferenceState> reference(const GroupRequest& request) const;
  // Stage 2: the values of every requested member (complete on rank 0).
  virtual void compare(const GroupRequest& request, const ReferenceState* reference,
                       GroupResult& result) const = 0;

  // Both stages.
  void compute(const GroupRequest& request, GroupResult& result) const {
    const auto state = reference(request);
    compare(request, state.get(), result);
  }
};

}  // namespace gensweep::pipeline
