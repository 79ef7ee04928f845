#include "gensweep/config/job.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"

namespace gensweep::config {

std::string SourceLocation::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string Device::str() const {
  switch (kind) {
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kAuto:
      return "auto";
    case DeviceKind::kCuda:
      return index < 0 ? "cuda" : fmt::format("cuda:{}", index);
  }
  return "?";
}

const DatasetConfig& find_dataset(const Job& job, std::string_view id) {
  for (const auto& dataset : job.datasets)
    if (dataset.id == id) return dataset;
  throw ConfigError(
      fmt::format("{}: job \"{}\" has no dataset \"{}\"", job.where.str(), job.name, id));
}

const BackboneConfig& find_backbone(const Job& job, std::string_view id) {
  for (const auto& backbone : job.backbones)
    if (backbone.id == id) return backbone;
  throw ConfigError(
      fmt::format("{}: job \"{}\" has no backbone \"{}\"", job.where.str(), job.name, id));
}

bool backbone_applies(const DatasetConfig& dataset, const BackboneConfig& backbone) {
  if (const auto* features = std::get_if<FeaturesSource>(&dataset.source))
    return backbone.is_external() && features->backbone == backbone.id;
  // Statistics are in the feature space of the one backbone they are declared for, of any kind.
  if (const auto* statistics = std::get_if<StatisticsSource>(&dataset.source))
    return statistics->backbone == backbone.id;
  return !backbone.is_external();
}

std::string level_text(double level) {
  return fmt::format("{}", level);  // shortest round trip: "3", "0.25"
}

std::string_view StudyConfig::factor_name() const {
  switch (kind) {
    case Kind::kMixtures:
      return "counterfactual";
    case Kind::kRegions:
      return "region";
    default:
      return "corruption";
  }
}

std::string_view StudyConfig::level_name() const {
  switch (kind) {
    case Kind::kMixtures:
      return "proportion";
    case Kind::kRegions:
      return "level";
    default:
      return "severity";
  }
}

std::string study_dataset_id(const StudyConfig& study, std::string_view factor, double level,
                             int draw) {
  switch (study.kind) {
    case StudyConfig::Kind::kMixtures:
      return fmt::format("{}.{}.p{}.d{}", study.id, factor, level_text(level), draw);
    case StudyConfig::Kind::kRegions:
      return fmt::format("{}.{}", study.id, factor);
    default:
      return fmt::format("{}.{}.s{}", study.id, factor, level_text(level));
  }
}

}  // namespace gensweep::config
