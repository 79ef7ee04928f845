// contrast, brightness and saturate (CORRUPTIONS.md 3.14-3.16): numpy's sequential channel means,
// and scikit-image 0.19's rgb2hsv / hsv2rgb in their exact operation order.

#include <algorithm>
#include <cmath>

#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

// numpy's float remainder (floor modulo) for divisor 1.
double mod1(double a) {
  double m = std::fmod(a, 1.0);
  if (m != 0) {
    if (m < 0) m += 1.0;
  } else {
    m = 0.0;
  }
  return m;
}

void rgb2hsv(Array3& a) {
  for (std::size_t i = 0; i < a.v.size(); i += 3) {
    const double r = a.v[i], g = a.v[i + 1], b = a.v[i + 2];
    const double v = std::max(std::max(r, g), b);
    const double delta = v - std::min(std::min(r, g), b);
    double s = delta / v;
    if (delta == 0.) s = 0.;
    double hue = 0;
    if (r == v) hue = (g - b) / delta;
    if (g == v) hue = 2. + (b - r) / delta;
    if (b == v) hue = 4. + (r - g) / delta;
    double h = mod1(hue / 6.);
    if (delta == 0.) h = 0.;
    a.v[i] = std::isnan(h) ? 0 : h;
    a.v[i + 1] = std::isnan(s) ? 0 : s;
    a.v[i + 2] = std::isnan(v) ? 0 : v;
  }
}

void hsv2rgb(Array3& a) {
  for (std::size_t i = 0; i < a.v.size(); i += 3) {
    const double h = a.v[i], s = a.v[i + 1], v = a.v[i + 2];
    const double hi = std::floor(h * 6);
    const double f = h * 6 - hi;
    const double p = v * (1 - s);
    const double q = v * (1 - f * s);
    const double t = v * (1 - (1 - f) * s);
    const int sector = static_cast<std::uint8_t>(hi) % 6;
    static constexpr int kPick[6][3] = {{0, 3, 1}, {2, 0, 1}, {1, 0, 3},
                                        {1, 2, 0}, {3, 1, 0}, {0, 1, 2}};
    const double values[4] = {v, p, q, t};
    for (int c = 0; c < 3; ++c)
      a.v[i + c] = values[kPick[sector][c]];
  }
}

}  // namespace

CorruptionResult color_corruption(const Image& image, CorruptionName name, int severity,
                                  CorruptionParameters parameters) {
  Array3 x = to_unit(image);
  switch (name) {
    case CorruptionName::kContrast: {
      static constexpr double kCifar[5] = {0.75, 0.5, 0.4, 0.3, 0.15};
      static constexpr double kImagenet[5] = {0.4, 0.3, 0.2, 0.1, 0.05};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      double mean[3] = {0, 0, 0};
      for (std::size_t i = 0; i < x.v.size(); ++i)
        mean[i % 3] += x.v[i];
      const double n = static_cast<double>(x.h) * x.w;
      for (double& m : mean)
        m /= n;
      for (std::size_t i = 0; i < x.v.size(); ++i)
        x.v[i] = (x.v[i] - mean[i % 3]) * c + mean[i % 3];
      break;
    }
    case CorruptionName::kBrightness: {
      static constexpr double kCifar[5] = {.05, .1, .15, .2, .3};
      static constexpr double kImagenet[5] = {.1, .2, .3, .4, .5};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      rgb2hsv(x);
      for (std::size_t i = 2; i < x.v.size(); i += 3)
        x.v[i] = std::clamp(x.v[i] + c, 0.0, 1.0);
      hsv2rgb(x);
      break;
    }
    case CorruptionName::kSaturate: {
      struct MulAdd {
        double mul, add;
      };
      static constexpr MulAdd kCifar[5] = {{.3, 0}, {.1, 0}, {1.5, 0}, {2, .1}, {2.5, .2}};
      static constexpr MulAdd kImagenet[5] = {{.3, 0}, {.1, 0}, {2, 0}, {5, .1}, {20, .2}};
      const MulAdd c = pick(kCifar, kImagenet, parameters, severity);
      rgb2hsv(x);
      for (std::size_t i = 1; i < x.v.size(); i += 3)
        x.v[i] = std::clamp(x.v[i] * c.mul + c.add, 0.0, 1.0);
      hsv2rgb(x);
      break;
    }
    default:
      break;
  }
  return clip01_times_255(x);
}

}  // namespace gensweep::io::corruptions
