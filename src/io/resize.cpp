// Bit-exact reimplementations of PyTorch's CPU resize kernels (see resize.h for the arithmetic).

#include "gensweep/io/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gensweep/core/error.h"

namespace gensweep::io {
namespace {

void check_input(const FloatImage& in, int out_h, int out_w, const char* what) {
  GENSWEEP_CHECK(in.channels > 0 && in.height > 0 && in.width > 0 &&
                     in.data.size() == std::size_t(in.channels) * in.height * in.width,
                 IoError, "{}: input {}x{}x{} has {} values", what, in.channels, in.height,
                 in.width, in.data.size());
  GENSWEEP_CHECK(out_h > 0 && out_w > 0, IoError, "{}: output size {}x{} must be positive", what,
                 out_h, out_w);
}

// Per output index along one axis: the two source indices and their weights.
struct AxisTaps {
  std::vector<int> i0, i1;
  std::vector<float> l0, l1;
};

AxisTaps bilinear_taps(int in, int out) {
  AxisTaps taps;
  taps.i0.resize(out);
  taps.i1.resize(out);
  taps.l0.resize(out);
  taps.l1.resize(out);
  // PyTorch computes the ratio in the tensor's type (float), then the source position in
  // acc_type<float> = double, and stores the weights as float.
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int d = 0; d < out; ++d) {
    if (in == out) {  // PyTorch's special case: a plain copy along this axis
      taps.i0[d] = taps.i1[d] = d;
      taps.l0[d] = 1.0f;
      taps.l1[d] = 0.0f;
      continue;
    }
    double src = static_cast<double>(scale) * (static_cast<double>(d) + 0.5) - 0.5;
    if (src < 0) src = 0;
    const int i0 = std::min(static_cast<int>(src), in - 1);
    const float l1 = static_cast<float>(src - i0);
    taps.i0[d] = i0;
    taps.i1[d] = i0 + (i0 < in - 1 ? 1 : 0);
    taps.l1[d] = l1;
    taps.l0[d] = static_cast<float>(1.0 - static_cast<double>(l1));
  }
  return taps;
}

// out[x] = fma(l0[x], row[i0[x]], l1[x] * row[i1[x]]): PyTorch's `t0 * w0 + t1 * w1` as its
// FMA-enabled kernels evaluate it. The clones give hardware FMA where the CPU has it; the default
// clone calls libm's fmaf, which is correctly rounded too, so both produce the same bits.
__attribute__((target_clones("fma", "default"))) void interpolate_row(const float* row,
                                                                      const int* i0, const int* i1,
                                                                      const float* l0,
                                                                      const float* l1, float* out,
                                                                      int n) {
  for (int x = 0; x < n; ++x)
    out[x] = __builtin_fmaf(l0[x], row[i0[x]], l1[x] * row[i1[x]]);
}

__attribute__((target_clones("fma", "default"))) void blend_rows(const float* a, const float* b,
                                                                 float wa, float wb, float* out,
                                                                 int n) {
  for (int x = 0; x < n; ++x)
    out[x] = __builtin_fmaf(wa, a[x], wb * b[x]);
}

}  // namespace

void resize_bilinear_torch_into(const FloatImage& in, int out_h, int out_w, FloatImage& out) {
  check_input(in, out_h, out_w, "resize_bilinear_torch");
  const AxisTaps ty = bilinear_taps(in.height, out_h);
  const AxisTaps tx = bilinear_taps(in.width, out_w);

  // Each source row that some output row reads is interpolated along x once per channel (the
  // same float operations PyTorch does per output pixel, so the bits are the same).
  std::vector<int> slot_of(in.height, -1);
  int slots = 0;
  for (int oy = 0; oy < out_h; ++oy)
    for (int r : {ty.i0[oy], ty.i1[oy]})
      if (slot_of[r] < 0) slot_of[r] = slots++;
  std::vector<float> rows(static_cast<std::size_t>(slots) * out_w);

  out.channels = in.channels;
  out.height = out_h;
  out.width = out_w;
  out.data.resize(static_cast<std::size_t>(in.channels) * out_h * out_w);
  const std::size_t in_plane = static_cast<std::size_t>(in.height) * in.width;
  const std::size_t out_plane = static_cast<std::size_t>(out_h) * out_w;
  for (int c = 0; c < in.channels; ++c) {
    const float* src = in.data.data() + c * in_plane;
    for (int r = 0; r < in.height; ++r)
      if (slot_of[r] >= 0)
        interpolate_row(src + static_cast<std::size_t>(r) * in.width, tx.i0.data(), tx.i1.data(),
                        tx.l0.data(), tx.l1.data(), rows.data() + slot_of[r] * out_w, out_w);
    float* dst = out.data.data() + c * out_plane;
    for (int oy = 0; oy < out_h; ++oy)
      blend_rows(rows.data() + slot_of[ty.i0[oy]] * out_w, rows.data() + slot_of[ty.i1[oy]] * out_w,
                 ty.l0[oy], ty.l1[oy], dst + static_cast<std::size_t>(oy) * out_w, out_w);
  }
}

FloatImage resize_bilinear_torch(const FloatImage& in, int out_h, int out_w) {
  FloatImage out;
  resize_bilinear_torch_into(in, out_h, out_w, out);
  return out;
}

FloatImage resize_area(const FloatImage& in, int out_h, int out_w) {
  check_input(in, out_h, out_w, "resize_area");
  // PyTorch's adaptive pooling bounds: start = floor(i * in / out), end = ceil((i + 1) * in / out).
  auto start = [](std::int64_t i, std::int64_t out, std::int64_t in) { return (i * in) / out; };
  auto end = [](std::int64_t i, std::int64_t out, std::int64_t in) {
    return ((i + 1) * in + out - 1) / out;
  };
  FloatImage out;
  out.channels = in.channels;
  out.height = out_h;
  out.width = out_w;
  out.data.resize(static_cast<std::size_t>(in.channels) * out_h * out_w);
  for (int c = 0; c < in.channels; ++c) {
    const float* src = in.data.data() + static_cast<std::size_t>(c) * in.height * in.width;
    float* dst = out.data.data() + static_cast<std::size_t>(c) * out_h * out_w;
    for (int oy = 0; oy < out_h; ++oy) {
      const std::int64_t y0 = start(oy, out_h, in.height), y1 = end(oy, out_h, in.height);
      for (int ox = 0; ox < out_w; ++ox) {
        const std::int64_t x0 = start(ox, out_w, in.width), x1 = end(ox, out_w, in.width);
        // float32 accumulation in row-major order, then two divisions: PyTorch's kernel.
        float sum = 0.0f;
        for (std::int64_t y = y0; y < y1; ++y)
          for (std::int64_t x = x0; x < x1; ++x)
            sum += src[y * in.width + x];
        dst[static_cast<std::size_t>(oy) * out_w + ox] =
            sum / static_cast<float>(y1 - y0) / static_cast<float>(x1 - x0);
      }
    }
  }
  return out;
}

}  // namespace gensweep::io
