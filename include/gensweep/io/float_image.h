#pragma once
// Planar float images: the layout backbones consume (one image of an NCHW batch).

#include <vector>

#include "gensweep/io/image.h"

namespace gensweep::io {

// CHW, float32: data[(c * height + y) * width + x].
struct FloatImage {
  int channels = 3, height = 0, width = 0;
  std::vector<float> data;
};

// value * scale + offset per sample, in float32. One exception, for exactness: when scale is
// exactly 1.0f / 255.0f the value is computed as v / 255.0f, as torchvision's ToTensor does
// (the reciprocal is rounded, and v * (1/255.f) differs from v / 255.f in the last bit for 126
// of the 256 values), then offset is added (a second rounding, as a separate tensor op would).
FloatImage to_float_chw(const Image& image, float scale = 1.0f / 255.0f, float offset = 0.0f);
// Same, reusing out's storage.
void to_float_chw_into(const Image& image, float scale, float offset, FloatImage& out);

// x <- x * scale + offset in place, two float32 roundings (a multiply then an add, like
// pytorch-fid's `2 * x - 1` as two tensor ops).
void affine_in_place(FloatImage& image, float scale, float offset);

}  // namespace gensweep::io
