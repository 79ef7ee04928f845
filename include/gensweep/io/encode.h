#pragma once
// Encoders for tests, tools and JPEG distortions. encode_jpeg matches PIL's Image.save defaults
// apart from quality: baseline, 4:2:0 chroma subsampling, ISLOW DCT, standard IJG tables scaled
// by quality (TurboJPEG and Pillow both call libjpeg's jpeg_set_quality).

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "gensweep/io/image.h"

namespace gensweep::io {

// 8-bit RGB PNG, not interlaced. Throws IoError when the image is inconsistent.
std::vector<std::uint8_t> encode_png(const Image& image);

// quality in [1, 100]. Throws IoError when the image or quality is invalid.
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality);

// Any PNG layout, for tests and tools that need more than RGB8 (gray, alpha, palette, 16 bit).
enum class PngColor { kGray = 0, kRgb = 2, kPalette = 3, kGrayAlpha = 4, kRgba = 6 };
struct PngLayout {
  int width = 0, height = 0;
  PngColor color = PngColor::kRgb;
  int bit_depth = 8;                                 // 1, 2, 4, 8, 16 as the PNG spec allows
  std::vector<std::array<std::uint8_t, 3>> palette;  // kPalette only, 1..256 entries
  bool interlaced = false;                           // Adam7
};
// samples: height x width x channels values, row-major, each < 2^bit_depth (palette: indices).
std::vector<std::uint8_t> encode_png_samples(const PngLayout& layout,
                                             std::span<const std::uint16_t> samples);

}  // namespace gensweep::io
