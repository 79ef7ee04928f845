// torchvision Normalize and numpy clip on planar float images (see normalize.h).

#include "gensweep/io/normalize.h"

#include <cmath>
#include <cstddef>

#include "gensweep/core/error.h"

namespace gensweep::io {

Normalization normalization_for(const ChannelStats& stats, ValueRange range) {
  Normalization n;
  const double scale = range == ValueRange::kByte ? 255.0 : 1.0;
  for (int c = 0; c < 3; ++c) {
    n.mean[c] = static_cast<float>(scale * stats.mean[c]);
    n.std[c] = static_cast<float>(scale * stats.std[c]);
  }
  return n;
}

void normalize_in_place(FloatImage& image, std::array<float, 3> mean, std::array<float, 3> std) {
  GENSWEEP_CHECK(image.channels == 3, IoError, "normalize: image has {} channels, expected 3",
                 image.channels);
  const std::size_t plane = static_cast<std::size_t>(image.height) * image.width;
  GENSWEEP_CHECK(image.height >= 0 && image.width >= 0 && image.data.size() == 3 * plane, IoError,
                 "normalize: image 3x{}x{} has {} values", image.height, image.width,
                 image.data.size());
  for (int c = 0; c < 3; ++c)
    GENSWEEP_CHECK(std[c] != 0.0f, IoError,
                   "normalize: std[{}] is 0 (division by zero; torchvision refuses it too)", c);
  for (int c = 0; c < 3; ++c) {
    float* x = image.data.data() + c * plane;
    const float m = mean[c], s = std[c];
    for (std::size_t i = 0; i < plane; ++i) {
      const float centred = x[i] - m;  // sub_: one rounding
      x[i] = centred / s;              // div_: a second rounding
    }
  }
}

FloatImage to_normalized_float(const Image& image, ValueRange range, const ChannelStats& stats) {
  FloatImage x = to_float_chw(image, range == ValueRange::kUnit ? 1.0f / 255.0f : 1.0f, 0.0f);
  const Normalization n = normalization_for(stats, range);
  normalize_in_place(x, n.mean, n.std);
  return x;
}

void clip_in_place(FloatImage& image, float lo, float hi) {
  GENSWEEP_CHECK(!(hi < lo), IoError, "clip: upper bound {} is below lower bound {}", hi, lo);
  for (float& x : image.data)
    if (x < lo)
      x = lo;
    else if (x > hi)
      x = hi;  // NaN compares false both ways and stays NaN, as in numpy.clip
}

}  // namespace gensweep::io
