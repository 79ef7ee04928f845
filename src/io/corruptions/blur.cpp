// The blurs (CORRUPTIONS.md 3.5-3.9).

#include <algorithm>
#include <cmath>

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

// ImageMagick 6.9.11 Q16 MotionBlurImage (magick/effect.c) on the 8-bit image, written back as an
// 8-bit PNG (CORRUPTIONS.md 2.4): a one-sided half Gaussian along the angle, 16-bit samples
// (257 v), edge-clamped taps, ClampToQuantum, then the PNG export's truncation q / 257.
Image imagemagick_motion_blur(const Image& image, double radius, double sigma, double angle) {
  const int width = 2 * static_cast<int>(std::ceil(radius)) + 1;
  constexpr double kMagickSQ2PI = 2.50662827463100024161235523934010416269302368164062;
  std::vector<double> kernel(static_cast<std::size_t>(width));
  double normalize = 0.0;
  for (int i = 0; i < width; ++i) {
    kernel[static_cast<std::size_t>(i)] =
        std::exp(-(static_cast<double>(i) * i) / (2.0 * sigma * sigma)) / (kMagickSQ2PI * sigma);
    normalize += kernel[static_cast<std::size_t>(i)];
  }
  for (double& k : kernel)
    k /= normalize;
  const double a = M_PI * angle / 180.0;
  const double px = width * std::sin(a), py = width * std::cos(a);
  std::vector<int> dx(static_cast<std::size_t>(width)), dy(static_cast<std::size_t>(width));
  for (int i = 0; i < width; ++i) {
    dx[static_cast<std::size_t>(i)] =
        static_cast<int>(std::ceil(static_cast<double>(i) * py / std::hypot(px, py) - 0.5));
    dy[static_cast<std::size_t>(i)] =
        static_cast<int>(std::ceil(static_cast<double>(i) * px / std::hypot(px, py) - 0.5));
  }
  Image out{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size())};
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      for (int c = 0; c < 3; ++c) {
        double sum = 0.0;
        for (int i = 0; i < width; ++i) {
          const int sx = std::clamp(x + dx[static_cast<std::size_t>(i)], 0, image.width - 1);
          const int sy = std::clamp(y + dy[static_cast<std::size_t>(i)], 0, image.height - 1);
          const double q =
              257.0 * image.rgb[(static_cast<std::size_t>(sy) * image.width + sx) * 3 + c];
          sum += kernel[static_cast<std::size_t>(i)] * q;
        }
        const int quantum = sum <= 0.0 ? 0 : sum >= 65535.0 ? 65535 : static_cast<int>(sum + 0.5);
        out.rgb[(static_cast<std::size_t>(y) * image.width + x) * 3 + c] =
            static_cast<std::uint8_t>(quantum / 257);
      }
  return out;
}

}  // namespace

CorruptionResult blur_corruption(const Image& image, CorruptionName name, int severity,
                                 CorruptionParameters parameters, NumpyRandomState& rng) {
  Array3 x = to_unit(image);
  switch (name) {
    case CorruptionName::kGaussianBlur: {
      static constexpr double kCifar[5] = {0.4, 0.6, 0.7, 0.8, 1};
      static constexpr double kImagenet[5] = {1, 2, 3, 4, 6};
      // skimage.filters.gaussian(x, sigma, multichannel=True): mode 'nearest', truncate 4.
      scipy_gaussian_filter(x, pick(kCifar, kImagenet, parameters, severity), Border::kNearest, 4.0,
                            false);
      return clip01_times_255(x);
    }
    case CorruptionName::kGlassBlur: {
      struct Glass {
        double sigma;
        int d, iterations;
      };
      static constexpr Glass kCifar[5] = {
          {0.05, 1, 1}, {0.25, 1, 1}, {0.4, 1, 1}, {0.25, 1, 2}, {0.4, 1, 2}};
      static constexpr Glass kImagenet[5] = {
          {0.7, 1, 2}, {0.9, 2, 1}, {1, 2, 3}, {1.1, 3, 2}, {1.5, 4, 2}};
      const Glass c = pick(kCifar, kImagenet, parameters, severity);
      // np.uint8(gaussian(x, sigma) * 255): truncation.
      scipy_gaussian_filter(x, c.sigma, Border::kNearest, 4.0, false);
      Image y{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size())};
      for (std::size_t i = 0; i < x.v.size(); ++i)
        y.rgb[i] = static_cast<std::uint8_t>(static_cast<int>(x.v[i] * 255));
      // "Swap" pixel (h, w) with (h + dy, w + dx): the reference's tuple assignment of two numpy
      // views is a copy of the neighbour into (h, w).
      for (int it = 0; it < c.iterations; ++it)
        for (int h = image.height - c.d; h > c.d; --h)
          for (int w = image.width - c.d; w > c.d; --w) {
            const int dx = static_cast<int>(rng.randint(-c.d, c.d));
            const int dy = static_cast<int>(rng.randint(-c.d, c.d));
            const std::size_t to = (static_cast<std::size_t>(h) * image.width + w) * 3;
            const std::size_t from =
                (static_cast<std::size_t>(h + dy) * image.width + (w + dx)) * 3;
            for (int ch = 0; ch < 3; ++ch)
              y.rgb[to + ch] = y.rgb[from + ch];
          }
      x = to_unit(y);
      scipy_gaussian_filter(x, c.sigma, Border::kNearest, 4.0, false);
      return clip01_times_255(x);
    }
    case CorruptionName::kMotionBlur: {
      struct Motion {
        double radius, sigma;
      };
      static constexpr Motion kCifar[5] = {{6, 1}, {6, 1.5}, {6, 2}, {8, 2}, {9, 2.5}};
      static constexpr Motion kImagenet[5] = {{10, 3}, {15, 5}, {15, 8}, {15, 12}, {20, 15}};
      const Motion c = pick(kCifar, kImagenet, parameters, severity);
      const double angle = rng.uniform(-45, 45);
      return from_image(imagemagick_motion_blur(image, c.radius, c.sigma, angle));
    }
    default:
      break;
  }
  GENSWEEP_ASSERT(false, "not an implemented blur: {}", corruption_name(name));
  return {};
}

}  // namespace gensweep::io::corruptions
