// The blurs (CORRUPTIONS.md 3.5-3.9).

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io::corruptions {

// ImageMagick 6.9.11 Q16 MotionBlurImage (magick/effect.c) on the 8-bit image, written back as an
// 8-bit PNG (CORRUPTIONS.md 2.4): a one-sided half Gaussian along the angle, 16-bit samples
// (257 v), edge-clamped taps, ClampToQuantum, then the PNG export's truncation q / 257.
std::vector<std::uint8_t> imagemagick_motion_blur(const std::uint8_t* pixels, int w, int h,
                                                  int channels, double radius, double sigma,
                                                  double angle) {
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
  std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        double sum = 0.0;
        for (int i = 0; i < width; ++i) {
          const int sx = std::clamp(x + dx[static_cast<std::size_t>(i)], 0, w - 1);
          const int sy = std::clamp(y + dy[static_cast<std::size_t>(i)], 0, h - 1);
          const double q = 257.0 * pixels[(static_cast<std::size_t>(sy) * w + sx) * channels + c];
          sum += kernel[static_cast<std::size_t>(i)] * q;
        }
        const int quantum = sum <= 0.0 ? 0 : sum >= 65535.0 ? 65535 : static_cast<int>(sum + 0.5);
        out[(static_cast<std::size_t>(y) * w + x) * channels + c] =
            static_cast<std::uint8_t>(quantum / 257);
      }
  return out;
}

namespace {

// One axis of scipy.ndimage.zoom(order=1, grid_mode=False): output index o reads input
// coordinate o * ((in - 1) / (out - 1)), taps floor(c) and floor(c) + 1 (clamped; the second has
// weight 0 whenever it would fall outside) with weights w0 = 1 - t and w1 = 1 - w0.
struct ZoomAxis {
  std::vector<int> i0, i1;
  std::vector<double> w0, w1;
};
ZoomAxis zoom_axis(int in, int out) {
  ZoomAxis a;
  const double factor = out > 1 ? static_cast<double>(in - 1) / (out - 1) : 0.0;
  for (int o = 0; o < out; ++o) {
    const double c = o * factor;
    const double start = std::floor(c);
    const double w0 = 1.0 - (c - start);
    a.i0.push_back(std::clamp(static_cast<int>(start), 0, in - 1));
    a.i1.push_back(std::clamp(static_cast<int>(start) + 1, 0, in - 1));
    a.w0.push_back(w0);
    a.w1.push_back(1.0 - w0);
  }
  return a;
}

// clipped_zoom(img, z) on float32 values (CORRUPTIONS.md 2.3), per axis: crop ceil(n / z)
// centred, zoom to round(ch * z) (half to even) with scipy's order-1 corner sum, crop n centred.
// The result is float32 (stored in doubles).
}  // namespace

std::vector<double> clipped_zoom(const Array3& x, double z, bool float32) {
  auto crop = [z](int n) {
    const int ch = static_cast<int>(std::ceil(n / z));
    const int top = (n - ch) / 2;
    const int m = static_cast<int>(std::nearbyint(ch * z));
    return std::array<int, 4>{ch, top, m, (m - n) / 2};
  };
  const std::array<int, 4> ry = crop(x.h), rx = crop(x.w);
  const ZoomAxis ay = zoom_axis(ry[0], ry[2]), ax = zoom_axis(rx[0], rx[2]);
  std::vector<double> out(x.v.size());
  for (int y = 0; y < x.h; ++y) {
    const std::size_t oy = static_cast<std::size_t>(y + ry[3]);
    const int ys[2] = {ry[1] + ay.i0[oy], ry[1] + ay.i1[oy]};
    const double wy[2] = {ay.w0[oy], ay.w1[oy]};
    for (int xx = 0; xx < x.w; ++xx) {
      const std::size_t ox = static_cast<std::size_t>(xx + rx[3]);
      const int xs[2] = {rx[1] + ax.i0[ox], rx[1] + ax.i1[ox]};
      const double wx[2] = {ax.w0[ox], ax.w1[ox]};
      for (int c = 0; c < x.c; ++c) {
        // The channel axis has factor 1: weights (1, 0), the second tap clamped.
        const int cs[2] = {c, std::min(c + 1, x.c - 1)};
        const double wc[2] = {1.0, 0.0};
        double t = 0.0;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            for (int d = 0; d < 2; ++d)
              t += x.at(ys[a], xs[b], cs[d]) * wy[a] * wx[b] * wc[d];
        out[(static_cast<std::size_t>(y) * x.w + xx) * x.c + c] =
            float32 ? static_cast<float>(t) : t;
      }
    }
  }
  return out;
}

namespace {

// The defocus kernels (float32), CIFAR s1..s5 then ImageNet s1..s5.
struct DefocusKernel {
  int side;
  std::array<std::uint32_t, 21 * 21> bits;
};
constexpr DefocusKernel kDefocusKernels[10] = {
#include "defocus_kernels.inc"
};

int reflect101(int p, int len) {
  if (len == 1) return 0;
  while (p < 0 || p >= len)
    p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
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
      return from_image(Image{image.width, image.height,
                              imagemagick_motion_blur(image.rgb.data(), image.width, image.height,
                                                      3, c.radius, c.sigma, angle)});
    }
    case CorruptionName::kZoomBlur: {
      // np.arange(1, end, step): ceil((end - 1) / step) factors 1 + i * ((1 + step) - 1).
      struct Zoom {
        double end, step;
      };
      static constexpr Zoom kCifar[5] = {
          {1.06, 0.01}, {1.11, 0.01}, {1.16, 0.01}, {1.21, 0.01}, {1.26, 0.01}};
      static constexpr Zoom kImagenet[5] = {
          {1.11, 0.01}, {1.16, 0.01}, {1.21, 0.02}, {1.26, 0.02}, {1.31, 0.03}};
      const Zoom c = pick(kCifar, kImagenet, parameters, severity);
      const int count = static_cast<int>(std::ceil((c.end - 1) / c.step));
      const double delta = (1 + c.step) - 1;
      for (double& v : x.v)
        v = static_cast<float>(v);
      std::vector<float> acc(x.v.size(), 0.0f);
      for (int i = 0; i < count; ++i) {
        const std::vector<double> zoomed = clipped_zoom(x, 1 + i * delta, true);
        for (std::size_t k = 0; k < acc.size(); ++k)
          acc[k] += static_cast<float>(zoomed[k]);
      }
      CorruptionResult r{x.w, x.h, std::vector<double>(x.v.size())};
      const float n = static_cast<float>(count + 1);
      for (std::size_t k = 0; k < acc.size(); ++k) {
        const float y = (static_cast<float>(x.v[k]) + acc[k]) / n;
        r.values[k] = std::clamp(y, 0.0f, 1.0f) * 255.0f;
      }
      return r;
    }
    case CorruptionName::kDefocusBlur: {
      // cv2.filter2D(x[..., c], -1, kernel) in float64 per channel: anchor at the centre,
      // BORDER_REFLECT_101, the kernel's non-zero coefficients in row-major order.
      const DefocusKernel& k =
          kDefocusKernels[(parameters == CorruptionParameters::kCifar ? 0 : 5) + severity - 1];
      const int half = k.side / 2;
      struct Tap {
        int dy, dx;
        double w;
      };
      std::vector<Tap> taps;
      for (int i = 0; i < k.side; ++i)
        for (int j = 0; j < k.side; ++j) {
          const float w = std::bit_cast<float>(k.bits[static_cast<std::size_t>(i * k.side + j)]);
          if (w != 0.0f) taps.push_back({i - half, j - half, static_cast<double>(w)});
        }
      Array3 out = x;
      for (int y = 0; y < x.h; ++y)
        for (int xx = 0; xx < x.w; ++xx)
          for (int c = 0; c < 3; ++c) {
            double sum = 0.0;
            for (const Tap& t : taps)
              sum += t.w * x.at(reflect101(y + t.dy, x.h), reflect101(xx + t.dx, x.w), c);
            out.at(y, xx, c) = sum;
          }
      return clip01_times_255(out);
    }
    default:
      break;
  }
  GENSWEEP_ASSERT(false, "not an implemented blur: {}", corruption_name(name));
  return {};
}

}  // namespace gensweep::io::corruptions
