// Dispatch of the ImageNet-C / CIFAR-10-C corruptions to their families (corruption.h).

#include "gensweep/io/corruption.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io {

std::string_view corruption_name(CorruptionName name) {
  return kCorruptionNames[static_cast<std::size_t>(name)];
}

std::optional<CorruptionName> parse_corruption_name(std::string_view name) {
  for (std::size_t i = 0; i < kCorruptionNames.size(); ++i)
    if (kCorruptionNames[i] == name) return static_cast<CorruptionName>(i);
  return std::nullopt;
}

std::filesystem::path default_frost_dir() {
  if (const char* env = std::getenv("GENSWEEP_FROST_DIR"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path root = exe.parent_path().parent_path();
    for (const auto& candidate :
         {root / "data" / "frost", root / "share" / "gensweep" / "data" / "frost"})
      if (std::filesystem::exists(candidate / "frost1.png")) return candidate;
  }
  return "data/frost";
}

Image CorruptionResult::to_uint8() const {
  Image image{width, height, std::vector<std::uint8_t>(values.size())};
  for (std::size_t i = 0; i < values.size(); ++i)
    image.rgb[i] = static_cast<std::uint8_t>(static_cast<int>(std::clamp(values[i], 0.0, 255.0)));
  return image;
}

CorruptionResult corrupt(const Image& image, CorruptionName name, int severity,
                         CorruptionParameters parameters, NumpyRandomState& rng,
                         const CorruptionData& data) {
  GENSWEEP_CHECK(severity >= 1 && severity <= 5, ConfigError,
                 "corruption {}: severity must be 1..5, got {}", corruption_name(name), severity);
  GENSWEEP_ASSERT(image.width > 0 && image.height > 0 &&
                      image.rgb.size() == std::size_t(image.width) * image.height * 3,
                  "image {}x{} has {} bytes", image.width, image.height, image.rgb.size());
  using corruptions::blur_corruption;
  switch (name) {
    case CorruptionName::kGaussianNoise:
    case CorruptionName::kShotNoise:
    case CorruptionName::kImpulseNoise:
    case CorruptionName::kSpeckleNoise:
      return corruptions::noise_corruption(image, name, severity, parameters, rng);
    case CorruptionName::kContrast:
    case CorruptionName::kBrightness:
    case CorruptionName::kSaturate:
      return corruptions::color_corruption(image, name, severity, parameters);
    case CorruptionName::kJpegCompression:
    case CorruptionName::kPixelate:
      return corruptions::digital_corruption(image, name, severity, parameters);
    case CorruptionName::kFog:
    case CorruptionName::kFrost:
    case CorruptionName::kSnow:
    case CorruptionName::kSpatter:
      return corruptions::weather_corruption(image, name, severity, parameters, rng, data);
    case CorruptionName::kElasticTransform:
      return corruptions::geometric_corruption(image, name, severity, parameters, rng);
    default:
      return blur_corruption(image, name, severity, parameters, rng);
  }
}

}  // namespace gensweep::io
