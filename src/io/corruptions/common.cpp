// Shared numpy / scipy steps of the corruptions (internal.h).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>

#include "internal.h"

namespace gensweep::io::corruptions {

Array3 to_unit(const Image& image) {
  Array3 a{image.height, image.width, 3, std::vector<double>(image.rgb.size())};
  for (std::size_t i = 0; i < image.rgb.size(); ++i)
    a.v[i] = image.rgb[i] / 255.;
  return a;
}

CorruptionResult clip01_times_255(const Array3& a) {
  CorruptionResult r{a.w, a.h, std::vector<double>(a.v.size())};
  for (std::size_t i = 0; i < a.v.size(); ++i)
    r.values[i] = std::clamp(a.v[i], 0.0, 1.0) * 255;
  return r;
}

CorruptionResult from_image(const Image& image) {
  return {image.width, image.height, std::vector<double>(image.rgb.begin(), image.rgb.end())};
}

double numpy_pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i)
      res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j)
      r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j)
        r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

double numpy_exp(double x) {
  // {argument bits, result bits} where numpy's AVX512 (SVML) exp differs from glibc's, for every
  // Gaussian-kernel argument the corruptions use.
  static constexpr std::pair<std::uint64_t, std::uint64_t> kTable[] = {
#include "numpy_exp_table.inc"
  };
  const std::uint64_t key = std::bit_cast<std::uint64_t>(x);
  const auto* it = std::lower_bound(std::begin(kTable), std::end(kTable), key,
                                    [](const auto& e, std::uint64_t k) { return e.first < k; });
  if (it != std::end(kTable) && it->first == key) return std::bit_cast<double>(it->second);
  return std::exp(x);
}

namespace {

int border_index(int i, int n, Border border) {
  if (border == Border::kNearest) return std::clamp(i, 0, n - 1);
  // Half-sample symmetric (d c b a | a b c d | d c b a), periodic with period 2n.
  const int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// One scipy correlate1d pass with a symmetric kernel (w[0] the centre, w[j] the taps at +-j) along
// a line of n values spaced `stride` apart.
void filter_line(const double* in, double* out, int n, std::size_t stride,
                 const std::vector<double>& w, Border border, bool float32,
                 std::vector<double>& ext) {
  const int r = static_cast<int>(w.size()) - 1;
  ext.resize(static_cast<std::size_t>(n) + 2 * r);
  for (int i = -r; i < n + r; ++i)
    ext[static_cast<std::size_t>(i + r)] = in[border_index(i, n, border) * stride];
  for (int i = 0; i < n; ++i) {
    const double* p = ext.data() + i + r;
    double s = p[0] * w[0];
    for (int j = r; j >= 1; --j)
      s += (p[-j] + p[j]) * w[static_cast<std::size_t>(j)];
    out[i * stride] = float32 ? static_cast<double>(static_cast<float>(s)) : s;
  }
}

}  // namespace

void scipy_gaussian_filter(Array3& a, double sigma, Border border, double truncate, bool float32) {
  if (sigma <= 1e-15) return;  // scipy skips the axis
  const int radius = static_cast<int>(truncate * sigma + 0.5);
  std::vector<double> full(2 * static_cast<std::size_t>(radius) + 1);
  const double factor = -0.5 / (sigma * sigma);
  for (int x = -radius; x <= radius; ++x)
    full[static_cast<std::size_t>(x + radius)] = numpy_exp(factor * static_cast<double>(x * x));
  const double total = numpy_pairwise_sum(full.data(), full.size());
  std::vector<double> w(static_cast<std::size_t>(radius) + 1);
  for (int j = 0; j <= radius; ++j)
    w[static_cast<std::size_t>(j)] = full[static_cast<std::size_t>(radius + j)] / total;

  std::vector<double> out(a.v.size()), ext;
  const std::size_t row = static_cast<std::size_t>(a.w) * a.c;
  // Axis 0 (rows), then axis 1 (columns); each pass writes a fresh array of the input's dtype.
  for (int x = 0; x < a.w; ++x)
    for (int ch = 0; ch < a.c; ++ch) {
      const std::size_t off = static_cast<std::size_t>(x) * a.c + ch;
      filter_line(a.v.data() + off, out.data() + off, a.h, row, w, border, float32, ext);
    }
  for (int y = 0; y < a.h; ++y)
    for (int ch = 0; ch < a.c; ++ch) {
      const std::size_t off = static_cast<std::size_t>(y) * row + ch;
      filter_line(out.data() + off, a.v.data() + off, a.w, a.c, w, border, float32, ext);
    }
}

}  // namespace gensweep::io::corruptions
