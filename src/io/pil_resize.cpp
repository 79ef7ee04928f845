// Pillow's bicubic resample (libImaging/Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResample{Horizontal,Vertical}_{8bpc,32bpc}, ImagingResampleInner), reproduced with the
// same double expressions in the same order, so results match Pillow's bit for bit (see
// pil_resize.h). Built with -ffp-contract=off: Pillow's x86-64 builds have no FMA either.

#include "gensweep/io/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gensweep/core/error.h"

namespace gensweep::io {
namespace {

// Pillow's bicubic_filter, a = -0.5, in its Horner forms (the rounding depends on the form).
double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

constexpr double kSupport = 2.0;  // bicubic support at scale 1

// Coefficients along one axis: output index o reads source [first[o], first[o] + count[o]) with
// weights w[o * ksize + t], t < count[o].
struct PilTaps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<double> w;
};

PilTaps pil_taps(int in_size, int out_size) {
  PilTaps taps;
  // precompute_coeffs with box (0, in): scale = (double)(in1 - in0) / outSize, in float in1.
  const double scale = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = kSupport * filterscale;
  taps.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.w.assign(static_cast<std::size_t>(out_size) * taps.ksize, 0.0);
  const double ss = 1.0 / filterscale;  // Pillow multiplies by the reciprocal
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = 0.0 + (xx + 0.5) * scale;
    // "Round the value": a truncating cast, as in C.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double* k = taps.w.data() + static_cast<std::size_t>(xx) * taps.ksize;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      // C evaluates (x + xmin - center + 0.5) * ss as ((double)(x + xmin) - center + 0.5) * ss.
      const double w = bicubic((static_cast<double>(x + xmin) - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    if (ww != 0.0)
      for (int x = 0; x < xmax; ++x)
        k[x] /= ww;
    taps.first[xx] = xmin;
    taps.count[xx] = xmax;
  }
  return taps;
}

// normalize_coeffs_8bpc: 22 fractional bits, rounded half away from zero by a truncating cast.
constexpr int kPrecisionBits = 32 - 8 - 2;

std::vector<std::int32_t> fixed_point(const std::vector<double>& w) {
  std::vector<std::int32_t> k(w.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    k[i] = w[i] < 0 ? static_cast<std::int32_t>(-0.5 + w[i] * (1 << kPrecisionBits))
                    : static_cast<std::int32_t>(0.5 + w[i] * (1 << kPrecisionBits));
  return k;
}

// clip8: Pillow looks up sum >> PRECISION_BITS (an arithmetic shift) in a table that is 0 below
// 0 and 255 above 255.
inline std::uint8_t clip8(std::int32_t sum) {
  const std::int32_t v = sum >> kPrecisionBits;
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Rows of the source the vertical pass reads: [first, last). The horizontal pass computes only
// these, as ImagingResampleInner does (ybox_first, ybox_last).
struct RowSpan {
  int first, last;
};
RowSpan used_rows(const PilTaps& ty, int out_h) {
  return {ty.first[0], ty.first[out_h - 1] + ty.count[out_h - 1]};
}

}  // namespace

FloatImage resize_bicubic_pil_float(const FloatImage& in, int out_h, int out_w) {
  GENSWEEP_CHECK(in.channels > 0 && in.height > 0 && in.width > 0 &&
                     in.data.size() == std::size_t(in.channels) * in.height * in.width,
                 IoError, "resize_bicubic_pil_float: input {}x{}x{} has {} values", in.channels,
                 in.height, in.width, in.data.size());
  GENSWEEP_CHECK(out_h > 0 && out_w > 0, IoError,
                 "resize_bicubic_pil_float: output size {}x{} must be positive", out_h, out_w);
  const bool need_horizontal = out_w != in.width;
  const bool need_vertical = out_h != in.height;
  if (!need_horizontal && !need_vertical) return in;  // Image.resize returns self.copy()

  const PilTaps ty = pil_taps(in.height, out_h);
  const RowSpan rows = need_vertical ? used_rows(ty, out_h) : RowSpan{0, in.height};

  // Horizontal pass (ImagingResampleHorizontal_32bpc, FLOAT32): double sum, float32 store.
  FloatImage temp;
  const FloatImage* src = &in;
  int row_offset = 0;  // source row of temp's row 0
  if (need_horizontal) {
    const PilTaps tx = pil_taps(in.width, out_w);
    const int temp_h = rows.last - rows.first;
    temp.channels = in.channels;
    temp.height = temp_h;
    temp.width = out_w;
    temp.data.resize(static_cast<std::size_t>(in.channels) * temp_h * out_w);
    for (int c = 0; c < in.channels; ++c)
      for (int y = 0; y < temp_h; ++y) {
        const float* row =
            in.data.data() + (static_cast<std::size_t>(c) * in.height + rows.first + y) * in.width;
        float* dst = temp.data.data() + (static_cast<std::size_t>(c) * temp_h + y) * out_w;
        for (int xx = 0; xx < out_w; ++xx) {
          const double* k = tx.w.data() + static_cast<std::size_t>(xx) * tx.ksize;
          const float* p = row + tx.first[xx];
          double ss = 0.0;
          for (int x = 0; x < tx.count[xx]; ++x)
            ss += p[x] * k[x];
          dst[xx] = static_cast<float>(ss);
        }
      }
    src = &temp;
    row_offset = rows.first;
  }
  if (!need_vertical) return temp;

  // Vertical pass (ImagingResampleVertical_32bpc, FLOAT32).
  FloatImage out;
  out.channels = in.channels;
  out.height = out_h;
  out.width = src->width;
  out.data.resize(static_cast<std::size_t>(in.channels) * out_h * out.width);
  std::vector<double> acc(out.width);
  for (int c = 0; c < in.channels; ++c) {
    const float* plane = src->data.data() + static_cast<std::size_t>(c) * src->height * src->width;
    for (int yy = 0; yy < out_h; ++yy) {
      const double* k = ty.w.data() + static_cast<std::size_t>(yy) * ty.ksize;
      const int ymin = ty.first[yy] - row_offset;
      // Row-wise accumulation: for each output pixel the sum still runs over y in tap order.
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int y = 0; y < ty.count[yy]; ++y) {
        const float* row = plane + static_cast<std::size_t>(ymin + y) * src->width;
        for (int xx = 0; xx < out.width; ++xx)
          acc[xx] += row[xx] * k[y];
      }
      float* dst = out.data.data() + (static_cast<std::size_t>(c) * out_h + yy) * out.width;
      for (int xx = 0; xx < out.width; ++xx)
        dst[xx] = static_cast<float>(acc[xx]);
    }
  }
  return out;
}

Image resize_bicubic_pil_u8(const Image& in, int out_h, int out_w) {
  GENSWEEP_CHECK(
      in.width > 0 && in.height > 0 && in.rgb.size() == std::size_t(in.width) * in.height * 3,
      IoError, "resize_bicubic_pil_u8: image {}x{} has {} bytes, expected width*height*3", in.width,
      in.height, in.rgb.size());
  GENSWEEP_CHECK(out_h > 0 && out_w > 0, IoError,
                 "resize_bicubic_pil_u8: output size {}x{} must be positive", out_h, out_w);
  const bool need_horizontal = out_w != in.width;
  const bool need_vertical = out_h != in.height;
  if (!need_horizontal && !need_vertical) return in;

  const PilTaps ty = pil_taps(in.height, out_h);
  const RowSpan rows = need_vertical ? used_rows(ty, out_h) : RowSpan{0, in.height};

  // Horizontal pass (ImagingResampleHorizontal_8bpc, 3 bands): clipped to 8 bits.
  Image temp;
  const Image* src = &in;
  int row_offset = 0;
  if (need_horizontal) {
    const PilTaps tx = pil_taps(in.width, out_w);
    const std::vector<std::int32_t> kx = fixed_point(tx.w);
    temp.width = out_w;
    temp.height = rows.last - rows.first;
    temp.rgb.resize(static_cast<std::size_t>(temp.width) * temp.height * 3);
    for (int y = 0; y < temp.height; ++y) {
      const std::uint8_t* row =
          in.rgb.data() + static_cast<std::size_t>(rows.first + y) * in.width * 3;
      std::uint8_t* dst = temp.rgb.data() + static_cast<std::size_t>(y) * out_w * 3;
      for (int xx = 0; xx < out_w; ++xx) {
        const std::int32_t* k = kx.data() + static_cast<std::size_t>(xx) * tx.ksize;
        const std::uint8_t* p = row + static_cast<std::size_t>(tx.first[xx]) * 3;
        // int32 as in Pillow, and no overflow: the weights' absolute sum is at most 1.25, so
        // |sum| < 2^21 + 1.25 * 255 * 2^22 < 2^31.
        std::int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
        for (int x = 0; x < tx.count[xx]; ++x) {
          s0 += p[3 * x + 0] * k[x];
          s1 += p[3 * x + 1] * k[x];
          s2 += p[3 * x + 2] * k[x];
        }
        dst[3 * xx + 0] = clip8(s0);
        dst[3 * xx + 1] = clip8(s1);
        dst[3 * xx + 2] = clip8(s2);
      }
    }
    src = &temp;
    row_offset = rows.first;
  }
  if (!need_vertical) return temp;

  // Vertical pass (ImagingResampleVertical_8bpc).
  const std::vector<std::int32_t> ky = fixed_point(ty.w);
  Image out;
  out.width = src->width;
  out.height = out_h;
  out.rgb.resize(static_cast<std::size_t>(out.width) * out_h * 3);
  const std::size_t stride = static_cast<std::size_t>(src->width) * 3;
  std::vector<std::int32_t> acc(stride);
  for (int yy = 0; yy < out_h; ++yy) {
    const std::int32_t* k = ky.data() + static_cast<std::size_t>(yy) * ty.ksize;
    const int ymin = ty.first[yy] - row_offset;
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < ty.count[yy]; ++y) {
      const std::uint8_t* row = src->rgb.data() + static_cast<std::size_t>(ymin + y) * stride;
      for (std::size_t i = 0; i < stride; ++i)
        acc[i] += row[i] * k[y];
    }
    std::uint8_t* dst = out.rgb.data() + static_cast<std::size_t>(yy) * stride;
    for (std::size_t i = 0; i < stride; ++i)
      dst[i] = clip8(acc[i]);
  }
  return out;
}

}  // namespace gensweep::io
