#pragma once
// Metric parameters (k, subsets, seed, ...): what a comparison's `parameters` table and
// `gensweep compare --param metric.name=value` may set. The config module checks names, types and
// ranges against specs it is given (the metric table in the pipeline module declares them), so a
// wrong parameter is reported at its line in the job file, or by its flag, before anything runs.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gensweep::config {

enum class ParameterType { kInteger, kNumber, kBoolean };

// One parameter of one metric. Ranges are inclusive and apply to integers and numbers.
struct ParameterSpec {
  std::string metric;
  std::string name;
  ParameterType type = ParameterType::kInteger;
  double min = 0;
  double max = 0;
  std::variant<std::int64_t, double, bool> default_value = std::int64_t{0};
  std::string description;
};

using ParameterValue = std::variant<std::int64_t, double, bool>;

// metric name -> parameter name -> value. Only what the job or the command line set; defaults
// stay in the specs.
using MetricParameterValues = std::map<std::string, std::map<std::string, ParameterValue>>;

// "50", "0.95", "true" (numbers print in their shortest round-trip form).
std::string parameter_text(const ParameterValue& value);

// The spec of metric.name, or nullptr.
const ParameterSpec* find_parameter(std::span<const ParameterSpec> specs, std::string_view metric,
                                    std::string_view name);

// Parses one "metric.name=value" assignment from the command line against the specs. Errors
// (UsageError) name the flag text and what was expected: unknown metric or parameter (with the
// closest known name), a value of the wrong type or out of range.
std::pair<std::string, std::pair<std::string, ParameterValue>> parse_parameter_assignment(
    std::string_view text, std::span<const ParameterSpec> specs);

}  // namespace gensweep::config
