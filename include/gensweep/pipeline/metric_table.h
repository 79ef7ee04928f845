#pragma once
// The metric table: every metric a job or `gensweep compare --metrics` may name, what it needs, and
// the function that computes it. Plain table, no self-registration (STYLE.md).

#include <functional>
#include <string>
#include <vector>

#include "gensweep/pipeline/feature_set.h"
#include "gensweep/report/results.h"

namespace gensweep::pipeline {

struct MetricContext {
  const FeatureSet& reference;
  const FeatureSet& evaluated;
};

struct MetricDefinition {
  const char* name;
  const char* description;
  // Fills value and diagnostics of `entry` (reference/evaluated/backbone/metric already set).
  std::function<void(const MetricContext&, report::MetricEntry& entry)> compute;
};

const std::vector<MetricDefinition>& metric_table();
const MetricDefinition& find_metric(const std::string& name);  // UsageError when unknown
std::vector<std::string> metric_names();

}  // namespace gensweep::pipeline
