#include "gensweep/pipeline/metric_parameters.h"

#include <algorithm>

#include "gensweep/pipeline/metric_table.h"

namespace gensweep::pipeline {

MetricParameters::MetricParameters(const std::string& metric,
                                   const std::vector<config::ParameterSpec>& specs,
                                   const config::MetricParameterValues& set)
    : metric_(metric) {
  for (const auto& spec : specs) {
    if (spec.metric == metric) values_[spec.name] = spec.default_value;
  }
  if (auto it = set.find(metric); it != set.end()) {
    for (const auto& [name, value] : it->second) {
      GENSWEEP_ASSERT(values_.count(name) != 0, "metric {} has no parameter {}", metric, name);
      values_[name] = value;
      set_.push_back(name);
    }
  }
}

MetricParameters::MetricParameters(const std::string& metric,
                                   const config::MetricParameterValues& set)
    : MetricParameters(metric, *find_metric(metric).parameters, set) {}

bool MetricParameters::is_set(std::string_view name) const {
  return std::find(set_.begin(), set_.end(), name) != set_.end();
}

nlohmann::json MetricParameters::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values_)
    std::visit([&, n = name](const auto& v) { out[n] = v; }, value);
  return out;
}

}  // namespace gensweep::pipeline
