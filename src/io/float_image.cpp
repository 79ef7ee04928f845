// uint8 HWC to float CHW, as torchvision's ToTensor (and the 0..255 float paths) produce it.

#include "gensweep/io/float_image.h"

#include <array>

#include "gensweep/core/error.h"

namespace gensweep::io {

void to_float_chw_into(const Image& image, float scale, float offset, FloatImage& out) {
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  GENSWEEP_CHECK(image.width >= 0 && image.height >= 0 && image.rgb.size() == plane * 3, IoError,
                 "to_float_chw: image {}x{} has {} bytes, expected width*height*3", image.width,
                 image.height, image.rgb.size());
  // 256 possible inputs: one table, built with exactly the float operations the reference uses.
  std::array<float, 256> table;
  const bool to_tensor = scale == 1.0f / 255.0f;
  for (int v = 0; v < 256; ++v) {
    const float scaled = to_tensor ? static_cast<float>(v) / 255.0f : static_cast<float>(v) * scale;
    table[v] = scaled + offset;
  }
  out.channels = 3;
  out.height = image.height;
  out.width = image.width;
  out.data.resize(plane * 3);
  float* r = out.data.data();
  float* g = r + plane;
  float* b = g + plane;
  const std::uint8_t* in = image.rgb.data();
  for (std::size_t i = 0; i < plane; ++i, in += 3) {
    r[i] = table[in[0]];
    g[i] = table[in[1]];
    b[i] = table[in[2]];
  }
}

FloatImage to_float_chw(const Image& image, float scale, float offset) {
  FloatImage out;
  to_float_chw_into(image, scale, offset, out);
  return out;
}

void affine_in_place(FloatImage& image, float scale, float offset) {
  // Built with -ffp-contract=off: a multiply then an add, never fused.
  for (float& x : image.data)
    x = x * scale + offset;
}

}  // namespace gensweep::io
