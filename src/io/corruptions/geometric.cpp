// elastic_transform (CORRUPTIONS.md 3.19): OpenCV's getAffineTransform (LU with partial pivoting)
// and warpAffine (1/32-pixel fixed-point coordinates, float32 bilinear, BORDER_REFLECT_101), then
// scipy's Gaussian-smoothed displacement fields and map_coordinates(order=1, mode='reflect').

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

// cv::getAffineTransform: the 6 x 6 system solved by OpenCV's LUImpl (partial pivoting).
std::array<double, 6> get_affine_transform(const std::array<float, 6>& src,
                                           const std::array<float, 6>& dst) {
  double a[36] = {}, b[6];
  for (int i = 0; i < 3; ++i) {
    const int j = i * 12, k = i * 12 + 6;
    a[j] = a[k + 3] = src[static_cast<std::size_t>(2 * i)];
    a[j + 1] = a[k + 4] = src[static_cast<std::size_t>(2 * i + 1)];
    a[j + 2] = a[k + 5] = 1;
    b[i * 2] = dst[static_cast<std::size_t>(2 * i)];
    b[i * 2 + 1] = dst[static_cast<std::size_t>(2 * i + 1)];
  }
  const int m = 6;
  for (int i = 0; i < m; ++i) {
    int k = i;
    for (int j = i + 1; j < m; ++j)
      if (std::abs(a[j * m + i]) > std::abs(a[k * m + i])) k = j;
    GENSWEEP_ASSERT(std::abs(a[k * m + i]) >= 1e-300, "degenerate affine points");
    if (k != i) {
      for (int j = i; j < m; ++j)
        std::swap(a[i * m + j], a[k * m + j]);
      std::swap(b[i], b[k]);
    }
    const double d = -1 / a[i * m + i];
    for (int j = i + 1; j < m; ++j) {
      const double alpha = a[j * m + i] * d;
      for (int kk = i + 1; kk < m; ++kk)
        a[j * m + kk] += alpha * a[i * m + kk];
      b[j] += alpha * b[i];
    }
    a[i * m + i] = -d;
  }
  for (int i = m - 1; i >= 0; --i) {
    double s = b[i];
    for (int kk = i + 1; kk < m; ++kk)
      s -= a[i * m + kk] * b[kk];
    b[i] = s * a[i * m + i];
  }
  return {b[0], b[1], b[2], b[3], b[4], b[5]};
}

// cv::invertAffineTransform.
std::array<double, 6> invert_affine(std::array<double, 6> m) {
  double d = m[0] * m[4] - m[1] * m[3];
  d = d != 0 ? 1. / d : 0.;
  const double a11 = m[4] * d, a22 = m[0] * d;
  m[0] = a11;
  m[1] *= -d;
  m[3] *= -d;
  m[4] = a22;
  const double b1 = -m[0] * m[2] - m[1] * m[5];
  const double b2 = -m[3] * m[2] - m[4] * m[5];
  m[2] = b1;
  m[5] = b2;
  return m;
}

int reflect101(int p, int len) {
  if (len == 1) return 0;
  do {
    if (p < 0)
      p = -p;
    else
      p = len - 1 - (p - len) - 1;
  } while (static_cast<unsigned>(p) >= static_cast<unsigned>(len));
  return p;
}

inline int cv_round(double v) {
  return static_cast<int>(std::nearbyint(v));
}

// cv::warpAffine(img, M, (W, H), INTER_LINEAR, BORDER_REFLECT_101) on float32 HWC values.
std::vector<float> warp_affine(const std::vector<float>& img, int h, int w,
                               const std::array<double, 6>& forward) {
  const std::array<double, 6> m = invert_affine(forward);
  constexpr int kAbBits = 10, kInterBits = 5, kTab = 1 << kInterBits;
  constexpr double kAbScale = 1 << kAbBits;
  constexpr int kRoundDelta = (1 << kAbBits) / kTab / 2;
  std::vector<int> adelta(static_cast<std::size_t>(w)), bdelta(static_cast<std::size_t>(w));
  for (int x = 0; x < w; ++x) {
    adelta[static_cast<std::size_t>(x)] = cv_round(m[0] * x * kAbScale);
    bdelta[static_cast<std::size_t>(x)] = cv_round(m[3] * x * kAbScale);
  }
  std::vector<float> out(img.size());
  for (int y = 0; y < h; ++y) {
    const int x0 = cv_round((m[1] * y + m[2]) * kAbScale) + kRoundDelta;
    const int y0 = cv_round((m[4] * y + m[5]) * kAbScale) + kRoundDelta;
    for (int x = 0; x < w; ++x) {
      const int X = (x0 + adelta[static_cast<std::size_t>(x)]) >> (kAbBits - kInterBits);
      const int Y = (y0 + bdelta[static_cast<std::size_t>(x)]) >> (kAbBits - kInterBits);
      const int sx = X >> kInterBits, sy = Y >> kInterBits;
      const float fx = static_cast<float>(X & (kTab - 1)) * (1.f / kTab);
      const float fy = static_cast<float>(Y & (kTab - 1)) * (1.f / kTab);
      const float w0 = (1.f - fy) * (1.f - fx), w1 = (1.f - fy) * fx, w2 = fy * (1.f - fx),
                  w3 = fy * fx;
      const int xa = reflect101(sx, w), xb = reflect101(sx + 1, w);
      const int ya = reflect101(sy, h), yb = reflect101(sy + 1, h);
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) {
          return img[(static_cast<std::size_t>(yy) * w + xx) * 3 + c];
        };
        out[(static_cast<std::size_t>(y) * w + x) * 3 + c] =
            ((at(ya, xa) * w0 + at(ya, xb) * w1) + at(yb, xa) * w2) + at(yb, xb) * w3;
      }
    }
  }
  return out;
}

// Half-sample symmetric reflection of a tap index (scipy 'reflect').
int reflect_half(int i, int n) {
  const int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// scipy map_coordinates, order 1, mode 'reflect', for one axis: the coordinate reflected
// (map_coordinate), then taps floor(c), floor(c) + 1 reflected, weights w0 = 1 - t, w1 = 1 - w0.
struct Taps1 {
  int i0, i1;
  double w0, w1;
};
Taps1 reflect_taps(double c, int len) {
  if (c < 0) {
    const double sz2 = 2.0 * len;
    if (c < -sz2) c = sz2 * static_cast<double>(static_cast<long long>(-c / sz2)) + c;
    c = c < -len ? c + sz2 : -c - 1;
  } else if (c > len - 1) {
    const double sz2 = 2.0 * len;
    c -= sz2 * static_cast<double>(static_cast<long long>(c / sz2));
    if (c >= len) c = sz2 - c - 1;
  }
  const double start = std::floor(c);
  const double w0 = 1.0 - (c - start);
  const int s = static_cast<int>(start);
  return {reflect_half(s, len), reflect_half(s + 1, len), w0, 1.0 - w0};
}

}  // namespace

CorruptionResult geometric_corruption(const Image& image, CorruptionName name, int severity,
                                      CorruptionParameters parameters, NumpyRandomState& rng) {
  GENSWEEP_ASSERT(name == CorruptionName::kElasticTransform, "not a geometric corruption: {}",
                  corruption_name(name));
  struct Elastic {
    double alpha, sigma, jitter;
  };
  static constexpr double kC = 32, kI = 244;  // the scripts' sizes (244 for ImageNet, sic)
  static constexpr Elastic kCifar[5] = {{kC * 0, kC * 0, kC * 0.08},
                                        {kC * 0.05, kC * 0.2, kC * 0.07},
                                        {kC * 0.08, kC * 0.06, kC * 0.06},
                                        {kC * 0.1, kC * 0.04, kC * 0.05},
                                        {kC * 0.1, kC * 0.03, kC * 0.03}};
  static constexpr Elastic kImagenet[5] = {{kI * 2, kI * 0.7, kI * 0.1},
                                           {kI * 2, kI * 0.08, kI * 0.2},
                                           {kI * 0.05, kI * 0.01, kI * 0.02},
                                           {kI * 0.07, kI * 0.01, kI * 0.02},
                                           {kI * 0.12, kI * 0.01, kI * 0.02}};
  const Elastic c = pick(kCifar, kImagenet, parameters, severity);
  const int h = image.height, w = image.width;
  std::vector<float> img(image.rgb.size());
  for (std::size_t i = 0; i < img.size(); ++i)
    img[i] = static_cast<float>(image.rgb[i]) / 255.0f;
  // Affine jitter of three points around the centre.
  const float cy = std::floor(static_cast<float>(h) / 2),
              cx = std::floor(static_cast<float>(w) / 2);
  const float q = static_cast<float>(std::min(h, w) / 3);
  const std::array<float, 6> pts1 = {cy + q, cx + q, cy + q, cx - q, cy - q, cx - q};
  std::array<float, 6> pts2{};
  for (std::size_t i = 0; i < 6; ++i)
    pts2[i] = pts1[i] + static_cast<float>(rng.uniform(-c.jitter, c.jitter));
  const std::vector<float> warped = warp_affine(img, h, w, get_affine_transform(pts1, pts2));
  // Displacement fields: float32(gaussian(uniform(-1, 1), sigma, 'reflect', truncate 3) * alpha).
  auto field = [&]() {
    Array3 f{h, w, 1, std::vector<double>(static_cast<std::size_t>(h) * w)};
    for (double& v : f.v)
      v = rng.uniform(-1, 1);
    scipy_gaussian_filter(f, c.sigma, Border::kReflect, 3.0, false);
    std::vector<float> out(f.v.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<float>(f.v[i] * c.alpha);
    return out;
  };
  const std::vector<float> dx = field();
  const std::vector<float> dy = field();
  CorruptionResult r{w, h, std::vector<double>(image.rgb.size())};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      const Taps1 ty = reflect_taps(y + static_cast<double>(dy[p]), h);
      const Taps1 tx = reflect_taps(x + static_cast<double>(dx[p]), w);
      for (int ch = 0; ch < 3; ++ch) {
        // The channel coordinate is exact: weights (1, 0), the second tap reflected.
        const int cs[2] = {ch, reflect_half(ch + 1, 3)};
        const double wc[2] = {1.0, 0.0};
        const int ys[2] = {ty.i0, ty.i1}, xs[2] = {tx.i0, tx.i1};
        const double wy[2] = {ty.w0, ty.w1}, wx[2] = {tx.w0, tx.w1};
        double t = 0.0;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            for (int d = 0; d < 2; ++d)
              t += static_cast<double>(
                       warped[(static_cast<std::size_t>(ys[a]) * w + xs[b]) * 3 + cs[d]]) *
                   wy[a] * wx[b] * wc[d];
        const float v = static_cast<float>(t);
        r.values[p * 3 + ch] = std::clamp(v, 0.0f, 1.0f) * 255.0f;
      }
    }
  return r;
}

}  // namespace gensweep::io::corruptions
