#include "gensweep/config/dataset.h"

#include "gensweep/config/distortion.h"

namespace gensweep::config {

std::string_view distortion_kind(const Distortion& distortion) {
  return std::visit([](const auto& d) { return d.kKind; }, distortion);
}

const std::string* DatasetConfig::given_backbone() const {
  if (const auto* f = std::get_if<FeaturesSource>(&source)) return &f->backbone;
  if (const auto* s = std::get_if<StatisticsSource>(&source)) return &s->backbone;
  return nullptr;
}

std::string_view source_name(const DatasetSource& source) {
  return std::visit([](const auto& s) { return s.kName; }, source);
}

}  // namespace gensweep::config
