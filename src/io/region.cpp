#include "gensweep/io/region.h"

#include "gensweep/core/error.h"

namespace gensweep::io {

LabelSet make_label_set(std::span<const int> values) {
  LabelSet set{};
  for (const int value : values) {
    GENSWEEP_CHECK(value >= 0 && value <= 255, ConfigError,
                   "region label value {} is outside 0..255", value);
    set[static_cast<std::size_t>(value)] = true;
  }
  return set;
}

Image composite_in_region(const Image& original, const Image& distorted, const Image& labels,
                          const LabelSet& region) {
  const auto same_size = [&](const Image& other) {
    return other.width == original.width && other.height == original.height;
  };
  GENSWEEP_CHECK(same_size(distorted) && same_size(labels), DataError,
                 "region: image {} x {}, distorted image {} x {} and label image {} x {} differ in "
                 "size",
                 original.width, original.height, distorted.width, distorted.height, labels.width,
                 labels.height);
  Image out = original;
  const std::size_t pixels =
      static_cast<std::size_t>(original.width) * static_cast<std::size_t>(original.height);
  for (std::size_t p = 0; p < pixels; ++p) {
    if (!region[labels.rgb[3 * p]]) continue;
    for (std::size_t c = 0; c < 3; ++c)
      out.rgb[3 * p + c] = distorted.rgb[3 * p + c];
  }
  return out;
}

}  // namespace gensweep::io
