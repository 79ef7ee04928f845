#include "image_test_util.h"

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "gensweep/core/random.h"

namespace gensweep::io::testing {

Image random_image(int width, int height, std::uint64_t seed) {
  Rng rng(seed);
  Image image{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
  for (auto& v : image.rgb)
    v = static_cast<std::uint8_t>(rng.below(256));
  return image;
}

Image smooth_image(int width, int height) {
  Image image{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = &image.rgb[(std::size_t(y) * width + x) * 3];
      p[0] = static_cast<std::uint8_t>(255 * x / (width - 1));
      p[1] = static_cast<std::uint8_t>(255 * y / (height - 1));
      p[2] = static_cast<std::uint8_t>((p[0] + 2 * p[1]) / 3);
    }
  return image;
}

Image constant_image(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  Image image{width, height, {}};
  for (int i = 0; i < width * height; ++i)
    image.rgb.insert(image.rgb.end(), {r, g, b});
  return image;
}

void write_bytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) std::abort();
}

std::uint32_t png_crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (std::uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

namespace {
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(v >> shift));
}
}  // namespace

std::vector<std::uint8_t> crafted_png(std::uint32_t width, std::uint32_t height, int bit_depth,
                                      int color_type, std::span<const std::uint8_t> tail) {
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  put_u32(png, 13);
  const std::size_t type_at = png.size();
  png.insert(png.end(), {'I', 'H', 'D', 'R'});
  put_u32(png, width);
  put_u32(png, height);
  png.insert(png.end(), {static_cast<std::uint8_t>(bit_depth),
                         static_cast<std::uint8_t>(color_type), 0, 0, 0});
  put_u32(png, png_crc32(std::span(png).subspan(type_at, 17)));
  png.insert(png.end(), tail.begin(), tail.end());
  return png;
}

std::size_t find_png_chunk(std::span<const std::uint8_t> png, const char type[4]) {
  std::size_t at = 8;
  while (at + 8 <= png.size()) {
    const std::uint32_t length = (std::uint32_t(png[at]) << 24) |
                                 (std::uint32_t(png[at + 1]) << 16) |
                                 (std::uint32_t(png[at + 2]) << 8) | png[at + 3];
    if (std::memcmp(&png[at + 4], type, 4) == 0) return at;
    at += 12 + length;
  }
  return std::string::npos;
}

PngLayout layout_of(int width, int height, PngColor color, int bit_depth, bool interlaced) {
  PngLayout layout;
  layout.width = width;
  layout.height = height;
  layout.color = color;
  layout.bit_depth = bit_depth;
  layout.interlaced = interlaced;
  return layout;
}

std::size_t find_jpeg_marker(std::span<const std::uint8_t> jpeg, std::uint8_t code) {
  for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xff && jpeg[i + 1] == code) return i;
  return std::string::npos;
}

int max_abs_diff(const Image& a, const Image& b) {
  int worst = 0;
  for (std::size_t i = 0; i < a.rgb.size() && i < b.rgb.size(); ++i)
    worst = std::max(worst, std::abs(int(a.rgb[i]) - int(b.rgb[i])));
  return worst;
}

double mean_abs_diff(const Image& a, const Image& b) {
  double total = 0;
  for (std::size_t i = 0; i < a.rgb.size() && i < b.rgb.size(); ++i)
    total += std::abs(int(a.rgb[i]) - int(b.rgb[i]));
  return a.rgb.empty() ? 0 : total / a.rgb.size();
}

}  // namespace gensweep::io::testing
