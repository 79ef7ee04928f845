// Output sizes and crops as torchvision and CMMD compute them (see geometry.h).

#include "gensweep/io/geometry.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "gensweep/core/error.h"
#include "gensweep/io/pil_resize.h"

namespace gensweep::io {
namespace {

void check_image(const Image& image, const char* what) {
  GENSWEEP_CHECK(image.width > 0 && image.height > 0 &&
                     image.rgb.size() == std::size_t(image.width) * image.height * 3,
                 IoError, "{}: image {}x{} has {} bytes, expected width*height*3", what,
                 image.width, image.height, image.rgb.size());
}

// Python's round(m / 2.0) for an integer margin m >= 0: halves go to the even neighbour.
int round_half_even_half(int margin) {
  const int k = margin / 2;
  if (margin % 2 == 0) return k;
  return k % 2 == 0 ? k : k + 1;
}

// Copies the window [top, top + out_h) x [left, left + out_w) of `image`; parts outside the image
// are zero (black), which is what torchvision's pad-then-crop produces.
Image window(const Image& image, int top, int left, int out_h, int out_w) {
  Image out;
  out.width = out_w;
  out.height = out_h;
  out.rgb.assign(static_cast<std::size_t>(out_w) * out_h * 3, 0);
  const int x0 = std::max(left, 0), x1 = std::min(left + out_w, image.width);
  if (x1 <= x0) return out;
  for (int y = std::max(top, 0); y < std::min(top + out_h, image.height); ++y)
    std::memcpy(out.rgb.data() + (static_cast<std::size_t>(y - top) * out_w + (x0 - left)) * 3,
                image.rgb.data() + (static_cast<std::size_t>(y) * image.width + x0) * 3,
                static_cast<std::size_t>(x1 - x0) * 3);
  return out;
}

// torchvision's start of the crop along one axis: negative means padding before the image.
int center_offset(int size, int crop) {
  if (crop > size) return -((crop - size) / 2);  // padding_ltrb: (crop - size) // 2 before
  return round_half_even_half(size - crop);
}

}  // namespace

std::pair<int, int> shorter_side_size(int height, int width, int size) {
  GENSWEEP_CHECK(height > 0 && width > 0, IoError,
                 "shorter_side_size: image size {}x{} must be positive", height, width);
  GENSWEEP_CHECK(size > 0, IoError, "shorter_side_size: size {} must be positive", size);
  // torchvision _compute_resized_output_size: short, long = (w, h) if w <= h else (h, w);
  // new_long = int(size * long / short).
  const bool width_is_short = width <= height;
  const int short_side = width_is_short ? width : height;
  const int long_side = width_is_short ? height : width;
  const double new_long_exact =
      static_cast<double>(static_cast<long long>(size) * long_side) / short_side;
  GENSWEEP_CHECK(new_long_exact < 2147483647.0, IoError,
                 "shorter_side_size: {}x{} to shorter side {} overflows", height, width, size);
  const int new_long = static_cast<int>(new_long_exact);
  return width_is_short ? std::pair{new_long, size} : std::pair{size, new_long};
}

Image center_crop(const Image& image, int out_h, int out_w) {
  check_image(image, "center_crop");
  GENSWEEP_CHECK(out_h > 0 && out_w > 0, IoError, "center_crop: crop size {}x{} must be positive",
                 out_h, out_w);
  return window(image, center_offset(image.height, out_h), center_offset(image.width, out_w), out_h,
                out_w);
}

Image square_center_crop(const Image& image) {
  check_image(image, "square_center_crop");
  const int side = std::min(image.height, image.width);
  return window(image, (image.height - side) / 2, (image.width - side) / 2, side, side);
}

Image resize_shorter_side_bicubic_u8(const Image& image, int size) {
  check_image(image, "resize_shorter_side_bicubic_u8");
  const auto [h, w] = shorter_side_size(image.height, image.width, size);
  return resize_bicubic_pil_u8(image, h, w);
}

}  // namespace gensweep::io
