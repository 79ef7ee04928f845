#pragma once
// The metric table: every metric group (pipeline/metric_group.h), and through them every metric a
// job or `gensweep compare --metrics` may name, its parameters (with defaults and ranges) and the
// group that computes it. A plain table of group types, no self-registration (STYLE.md).
//
// Members of a group that share a parameter struct (precision and recall share k and inclusive)
// must agree on it; check_comparison_parameters says so before anything runs.

#include <string>
#include <vector>

#include "gensweep/config/metric_parameters.h"
#include "gensweep/pipeline/metric_group.h"

namespace gensweep::pipeline {

struct MetricDefinition {
  const char* name;
  const char* description;
  const MetricGroup* group;
  const std::vector<config::ParameterSpec>* parameters;  // this metric's specs
};

// Every group, in table order.
const std::vector<const MetricGroup*>& metric_groups();
// Every metric, group by group in table order.
const std::vector<MetricDefinition>& metric_table();
const MetricDefinition& find_metric(const std::string& name);  // UsageError when unknown
const MetricGroup& find_group(const std::string& name);        // InternalError when unknown
std::vector<std::string> metric_names();
// The parameters of every metric, with defaults and ranges (config checks jobs and flags by them).
const std::vector<config::ParameterSpec>& metric_parameter_specs();

// How the report shows each metric: the defaults of report::TableOptions, with every metric's
// direction (lower / higher is better) from the table, and spreads beside values.
report::TableOptions report_options();

// Members of one group that share a parameter must agree on it. Throws ConfigError naming both
// values ("precision.k = 5 but recall.k = 3: ...") for `where` (e.g. "jobs/x.toml:12:1").
void check_comparison_parameters(const std::vector<std::string>& metrics,
                                 const config::MetricParameterValues& parameters,
                                 const std::string& where);

}  // namespace gensweep::pipeline
