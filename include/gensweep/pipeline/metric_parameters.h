#pragma once
// Metric parameters, typed. Each family of parameters is a plain struct whose members hold the
// defaults, and which lists its fields once (name, member, bounds, description):
//
//   struct KidParameters {
//     std::int64_t subsets = 100;  ...
//     static const ParameterFields<KidParameters>& fields();
//   };
//
// Everything else is generated from that list: the parameter specs the config module checks jobs
// and flags against (parameter_specs), the resolved record of one comparison's values
// (MetricParameters: what the job set over the defaults, its canonical JSON for results and cache
// keys) and the typed struct a metric group computes with (MetricParameters::as<P>()). A group
// never looks a parameter up by its name, so a misspelt name cannot reach run time.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/config/metric_parameters.h"
#include "gensweep/core/error.h"

namespace gensweep::pipeline {

// One field of the parameter struct P.
template <typename P>
struct ParameterField {
  const char* name;
  std::variant<std::int64_t P::*, double P::*, bool P::*> member;
  double min = 0;  // inclusive bounds (integers and numbers)
  double max = 0;
  const char* description;
};

template <typename P>
using ParameterFields = std::vector<ParameterField<P>>;

template <typename P>
ParameterField<P> integer_field(const char* name, std::int64_t P::*member, double min, double max,
                                const char* description) {
  return {name, member, min, max, description};
}
template <typename P>
ParameterField<P> number_field(const char* name, double P::*member, double min, double max,
                               const char* description) {
  return {name, member, min, max, description};
}
template <typename P>
ParameterField<P> boolean_field(const char* name, bool P::*member, const char* description) {
  return {name, member, 0, 0, description};
}

// The specs of `metric`'s parameters (P's fields, defaults from a default-constructed P).
template <typename P>
std::vector<config::ParameterSpec> parameter_specs(const char* metric) {
  static const P defaults{};  // its member initialisers are the defaults
  std::vector<config::ParameterSpec> out;
  for (const auto& f : P::fields()) {
    config::ParameterSpec spec;
    spec.metric = metric;
    spec.name = f.name;
    spec.min = f.min;
    spec.max = f.max;
    spec.description = f.description;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(std::declval<P&>().*member)>;
          spec.default_value = config::ParameterValue(T(defaults.*member));
          spec.type = std::is_same_v<T, bool>     ? config::ParameterType::kBoolean
                      : std::is_same_v<T, double> ? config::ParameterType::kNumber
                                                  : config::ParameterType::kInteger;
        },
        f.member);
    out.push_back(std::move(spec));
  }
  return out;
}

// One metric's parameters as resolved for one comparison: the job's values over the defaults.
// Canonical: values keyed by name in sorted order, integers as integers, numbers as doubles.
class MetricParameters {
 public:
  MetricParameters() = default;
  // `specs`: the metric's parameter specs (its group's table); `set`: what the job or the command
  // line gave, by metric.
  MetricParameters(const std::string& metric, const std::vector<config::ParameterSpec>& specs,
                   const config::MetricParameterValues& set);
  // From the metric table (metric_table.h): the specs of `metric`.
  MetricParameters(const std::string& metric, const config::MetricParameterValues& set);

  const std::string& metric() const { return metric_; }
  // Whether the job or the command line set it (else it holds its default).
  bool is_set(std::string_view name) const;
  // Every parameter with its resolved value: recorded in the results' diagnostics and in the row
  // cache's keys.
  nlohmann::json to_json() const;
  const std::map<std::string, config::ParameterValue, std::less<>>& values() const {
    return values_;
  }

  // The typed struct: every field of P filled from these values. InternalError when P's fields
  // and this metric's specs disagree (a bug in the metric table, caught by its tests).
  template <typename P>
  P as() const {
    P out{};
    for (const auto& f : P::fields()) {
      auto it = values_.find(f.name);
      GENSWEEP_ASSERT(it != values_.end(), "metric {} has no parameter {}", metric_, f.name);
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(out.*member)>;
            const auto* value = std::get_if<T>(&it->second);
            GENSWEEP_ASSERT(value != nullptr, "metric {}: parameter {} has another type", metric_,
                            f.name);
            out.*member = *value;
          },
          f.member);
    }
    return out;
  }

 private:
  std::string metric_;
  std::map<std::string, config::ParameterValue, std::less<>> values_;
  std::vector<std::string> set_;
};

}  // namespace gensweep::pipeline
