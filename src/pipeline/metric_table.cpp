#include "gensweep/pipeline/metric_table.h"

#include <algorithm>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "groups/groups.h"

namespace gensweep::pipeline {

const std::vector<const MetricGroup*>& metric_groups() {
  // The table: one entry per group, in the order metrics are listed (help, docs, specs).
  static const std::vector<const MetricGroup*> groups = {
      &groups::fd(),       &groups::kid(),   &groups::inception_score(),
      &groups::manifold(), &groups::gmm(),   &groups::fd_infinity(),
      &groups::cmmd(),     &groups::vendi(),
  };
  return groups;
}

const std::vector<MetricDefinition>& metric_table() {
  static const std::vector<MetricDefinition> table = [] {
    std::vector<MetricDefinition> out;
    for (const MetricGroup* group : metric_groups()) {
      for (const MetricMember& m : group->members())
        out.push_back({m.name, m.description, group, &m.parameters});
    }
    return out;
  }();
  return table;
}

const MetricDefinition& find_metric(const std::string& name) {
  for (const auto& m : metric_table()) {
    if (name == m.name) return m;
  }
  throw UsageError(
      fmt::format("unknown metric '{}' (known: {})", name, join(metric_names(), ", ")));
}

const MetricGroup& find_group(const std::string& name) {
  for (const MetricGroup* g : metric_groups()) {
    if (name == g->name()) return *g;
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

const std::vector<config::ParameterSpec>& metric_parameter_specs() {
  static const std::vector<config::ParameterSpec> specs = [] {
    std::vector<config::ParameterSpec> out;
    for (const auto& m : metric_table())
      out.insert(out.end(), m.parameters->begin(), m.parameters->end());
    return out;
  }();
  return specs;
}

report::TableOptions report_options() {
  report::TableOptions options;
  for (const MetricGroup* group : metric_groups()) {
    for (const MetricMember& m : group->members())
      options.better[m.name] = m.better;
  }
  options.show_spread = true;
  return options;
}

namespace {

// The job's value of metric.name, else its default.
config::ParameterValue resolved_value(const config::ParameterSpec& spec,
                                      const config::MetricParameterValues& set) {
  if (auto it = set.find(spec.metric); it != set.end()) {
    if (auto v = it->second.find(spec.name); v != it->second.end()) return v->second;
  }
  return spec.default_value;
}

bool same_struct(const MetricMember& a, const MetricMember& b) {
  return a.parameter_struct == b.parameter_struct;
}

}  // namespace

void check_comparison_parameters(const std::vector<std::string>& metrics,
                                 const config::MetricParameterValues& parameters,
                                 const std::string& where) {
  for (const MetricGroup* group : metric_groups()) {
    const auto& members = group->members();
    for (std::size_t a = 0; a < members.size(); ++a) {
      // Only the first requested member of each family speaks; later ones are checked against it.
      if (std::find(metrics.begin(), metrics.end(), members[a].name) == metrics.end()) continue;
      bool first_of_family = true;
      for (std::size_t b = 0; b < a; ++b) {
        if (same_struct(members[a], members[b]) &&
            std::find(metrics.begin(), metrics.end(), members[b].name) != metrics.end())
          first_of_family = false;
      }
      if (!first_of_family) continue;
      for (const auto& spec : members[a].parameters) {
        const config::ParameterValue first_value = resolved_value(spec, parameters);
        for (std::size_t b = a + 1; b < members.size(); ++b) {
          if (!same_struct(members[a], members[b]) ||
              std::find(metrics.begin(), metrics.end(), members[b].name) == metrics.end())
            continue;
          const auto* other =
              config::find_parameter(members[b].parameters, members[b].name, spec.name);
          GENSWEEP_ASSERT(other != nullptr, "{} has no parameter {}", members[b].name, spec.name);
          const config::ParameterValue value = resolved_value(*other, parameters);
          if (!(value == first_value)) {
            throw UsageError(fmt::format(
                "{}: {}.{} = {} but {}.{} = {}: these metrics come from one computation and "
                "share {}; give them the same value",
                where, members[a].name, spec.name, config::parameter_text(first_value),
                members[b].name, spec.name, config::parameter_text(value), spec.name));
          }
        }
      }
    }
  }
}

}  // namespace gensweep::pipeline
