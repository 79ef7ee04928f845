#include "gensweep/config/metric_parameters.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "gensweep/core/error.h"
#include "suggest.h"

namespace gensweep::config {

std::string parameter_text(const ParameterValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return fmt::format("{}", std::get<double>(value));
}

const ParameterSpec* find_parameter(std::span<const ParameterSpec> specs, std::string_view metric,
                                    std::string_view name) {
  for (const auto& spec : specs) {
    if (spec.metric == metric && spec.name == name) return &spec;
  }
  return nullptr;
}

namespace {

std::string range_text(const ParameterSpec& spec) {
  if (spec.type == ParameterType::kInteger) {
    if (spec.max >= 9.2e18)
      return fmt::format("an integer >= {}", static_cast<std::int64_t>(spec.min));
    return fmt::format("an integer in {}..{}", static_cast<std::int64_t>(spec.min),
                       static_cast<std::int64_t>(spec.max));
  }
  if (spec.type == ParameterType::kBoolean) return "true or false";
  if (std::isinf(spec.max)) return fmt::format("a number >= {}", spec.min);
  return fmt::format("a number in [{}, {}]", spec.min, spec.max);
}

}  // namespace

std::pair<std::string, std::pair<std::string, ParameterValue>> parse_parameter_assignment(
    std::string_view text, std::span<const ParameterSpec> specs) {
  const auto eq = text.find('=');
  const auto dot = text.substr(0, eq).find('.');
  GENSWEEP_CHECK(eq != std::string_view::npos && dot != std::string_view::npos, UsageError,
                 "--param '{}': expected metric.name=value (for example kid.subsets=50)", text);
  const std::string metric(text.substr(0, dot));
  const std::string name(text.substr(dot + 1, eq - dot - 1));
  const std::string value_text(text.substr(eq + 1));
  std::vector<std::string> metrics, names;
  for (const auto& spec : specs) {
    if (std::find(metrics.begin(), metrics.end(), spec.metric) == metrics.end())
      metrics.push_back(spec.metric);
    if (spec.metric == metric) names.push_back(spec.name);
  }
  GENSWEEP_CHECK(std::find(metrics.begin(), metrics.end(), metric) != metrics.end(), UsageError,
                 "--param '{}': no metric '{}' has parameters{}", text, metric,
                 detail::suggestion_suffix(metric, metrics, "metrics with parameters"));
  const ParameterSpec* spec = find_parameter(specs, metric, name);
  GENSWEEP_CHECK(spec != nullptr, UsageError, "--param '{}': {} has no parameter '{}'{}", text,
                 metric, name, detail::suggestion_suffix(name, names, "parameters"));
  auto bad = [&]() {
    return UsageError(fmt::format("--param '{}': {}.{} expects {}, got '{}'", text, metric, name,
                                  range_text(*spec), value_text));
  };
  ParameterValue value;
  switch (spec->type) {
    case ParameterType::kBoolean:
      if (value_text == "true") {
        value = true;
      } else if (value_text == "false") {
        value = false;
      } else {
        throw bad();
      }
      break;
    case ParameterType::kInteger: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), v);
      if (ec != std::errc() || end != value_text.data() + value_text.size() ||
          static_cast<double>(v) < spec->min || static_cast<double>(v) > spec->max)
        throw bad();
      value = v;
      break;
    }
    case ParameterType::kNumber: {
      double v = 0;
      auto [end, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), v);
      if (ec != std::errc() || end != value_text.data() + value_text.size() || !std::isfinite(v) ||
          v < spec->min || v > spec->max)
        throw bad();
      value = v;
      break;
    }
  }
  return {metric, {name, value}};
}

}  // namespace gensweep::config
