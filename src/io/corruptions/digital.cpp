// jpeg_compression and pixelate (CORRUPTIONS.md 3.17, 3.18): Pillow's JPEG save/load through
// libjpeg-turbo, and Pillow's 8-bit BOX resample in fixed point.

#include <algorithm>
#include <cmath>

#include "gensweep/core/error.h"
#include "gensweep/io/decode.h"
#include "gensweep/io/encode.h"
#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> k;  // ksize per output
};

// Pillow precompute_coeffs with the box filter (support 0.5), then normalize_coeffs_8bpc.
Taps box_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 0.5 * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<std::size_t>(out_size));
  t.count.resize(static_cast<std::size_t>(out_size));
  t.k.assign(static_cast<std::size_t>(out_size) * t.ksize, 0);
  std::vector<double> w(static_cast<std::size_t>(t.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) * ss;
      w[static_cast<std::size_t>(x)] = (arg > -0.5 && arg <= 0.5) ? 1.0 : 0.0;
      ww += w[static_cast<std::size_t>(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v =
          ww != 0.0 ? w[static_cast<std::size_t>(x)] / ww : w[static_cast<std::size_t>(x)];
      t.k[static_cast<std::size_t>(xx) * t.ksize + x] =
          v < 0 ? static_cast<std::int32_t>(-0.5 + v * (1 << kPrecisionBits))
                : static_cast<std::int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    t.first[static_cast<std::size_t>(xx)] = xmin;
    t.count[static_cast<std::size_t>(xx)] = xmax;
  }
  return t;
}

inline std::uint8_t clip8(std::int32_t sum) {
  const std::int32_t v = sum >> kPrecisionBits;
  return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// Image.resize((out_w, out_h), Image.BOX) on an RGB image: horizontal pass, then vertical, with an
// 8-bit image in between.
Image resize_box_pil_u8(const Image& in, int out_w, int out_h) {
  const Taps tx = box_taps(in.width, out_w);
  Image mid{out_w, in.height,
            std::vector<std::uint8_t>(static_cast<std::size_t>(out_w) * in.height * 3)};
  for (int y = 0; y < in.height; ++y)
    for (int xx = 0; xx < out_w; ++xx)
      for (int c = 0; c < 3; ++c) {
        std::int32_t s = 1 << (kPrecisionBits - 1);
        const std::int32_t* k = tx.k.data() + static_cast<std::size_t>(xx) * tx.ksize;
        for (int x = 0; x < tx.count[static_cast<std::size_t>(xx)]; ++x)
          s += in.rgb[(static_cast<std::size_t>(y) * in.width +
                       tx.first[static_cast<std::size_t>(xx)] + x) *
                          3 +
                      c] *
               k[x];
        mid.rgb[(static_cast<std::size_t>(y) * out_w + xx) * 3 + c] = clip8(s);
      }
  const Taps ty = box_taps(in.height, out_h);
  Image out{out_w, out_h, std::vector<std::uint8_t>(static_cast<std::size_t>(out_w) * out_h * 3)};
  const std::size_t stride = static_cast<std::size_t>(out_w) * 3;
  for (int yy = 0; yy < out_h; ++yy)
    for (std::size_t i = 0; i < stride; ++i) {
      std::int32_t s = 1 << (kPrecisionBits - 1);
      const std::int32_t* k = ty.k.data() + static_cast<std::size_t>(yy) * ty.ksize;
      for (int y = 0; y < ty.count[static_cast<std::size_t>(yy)]; ++y)
        s += mid.rgb[(static_cast<std::size_t>(ty.first[static_cast<std::size_t>(yy)]) + y) *
                         stride +
                     i] *
             k[y];
      out.rgb[static_cast<std::size_t>(yy) * stride + i] = clip8(s);
    }
  return out;
}

}  // namespace

CorruptionResult digital_corruption(const Image& image, CorruptionName name, int severity,
                                    CorruptionParameters parameters) {
  switch (name) {
    case CorruptionName::kJpegCompression: {
      static constexpr int kCifar[5] = {80, 65, 58, 50, 40};
      static constexpr int kImagenet[5] = {25, 18, 15, 10, 7};
      const int quality = pick(kCifar, kImagenet, parameters, severity);
      DecodeOutcome decoded = decode_image(encode_jpeg(image, quality));
      GENSWEEP_ASSERT(decoded.ok, "decoding our own JPEG failed: {}", decoded.reason);
      return from_image(decoded.image);
    }
    case CorruptionName::kPixelate: {
      static constexpr double kCifar[5] = {0.95, 0.9, 0.85, 0.75, 0.65};
      static constexpr double kImagenet[5] = {0.6, 0.5, 0.4, 0.3, 0.25};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      // int(W * c), int(H * c) (Python int() truncates), at least 1 pixel.
      const int w = std::max(1, static_cast<int>(image.width * c));
      const int h = std::max(1, static_cast<int>(image.height * c));
      return from_image(
          resize_box_pil_u8(resize_box_pil_u8(image, w, h), image.width, image.height));
    }
    default:
      break;
  }
  GENSWEEP_ASSERT(false, "not a digital corruption: {}", corruption_name(name));
  return {};
}

}  // namespace gensweep::io::corruptions
