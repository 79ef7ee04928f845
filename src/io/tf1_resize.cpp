// TF1-style bilinear resize, reproducing torch-fidelity's interpolate_bilinear_2d_like_tensorflow1x
// (method='slow', align_corners=False) bit for bit; see resize.h for the arithmetic.

#include <cstddef>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/io/resize.h"

namespace gensweep::io {
namespace {

// Per output index along one axis: the two source indices and the fraction between them.
struct Tf1Taps {
  std::vector<int> lo, hi;
  std::vector<float> frac;
};

Tf1Taps tf1_taps(int in, int out) {
  Tf1Taps taps;
  taps.lo.resize(out);
  taps.hi.resize(out);
  taps.frac.resize(out);
  // torch-fidelity: scale = in / out in Python (double), made a float32 tensor, then
  // arange(out, dtype=float32) * scale, a float32 product.
  const float scale = static_cast<float>(static_cast<double>(in) / static_cast<double>(out));
  for (int d = 0; d < out; ++d) {
    const float src = static_cast<float>(d) * scale;
    // .long() truncates; src >= 0. src < in always: (out - 1) * in / out is in - in / out, far
    // more than an ulp below in, so the gather never reads past the edge.
    const int lo = static_cast<int>(src);
    GENSWEEP_ASSERT(lo >= 0 && lo < in, "resize_bilinear_tf1: source index {} outside [0, {})", lo,
                    in);
    taps.lo[d] = lo;
    taps.hi[d] = lo + 1 < in ? lo + 1 : in - 1;   // (lo + 1).clamp_max(in - 1)
    taps.frac[d] = src - static_cast<float>(lo);  // grid - lo.float(), exact
  }
  return taps;
}

// a + (b - a) * t as three separate float32 tensor ops (sub, mul, add); the library is built with
// -ffp-contract=off, so the compiler cannot fuse the multiply and the add.
inline float lerp_tf1(float a, float b, float t) {
  const float diff = b - a;
  const float step = diff * t;
  return a + step;
}

}  // namespace

FloatImage resize_bilinear_tf1(const FloatImage& in, int out_h, int out_w) {
  GENSWEEP_CHECK(in.channels > 0 && in.height > 0 && in.width > 0 &&
                     in.data.size() == std::size_t(in.channels) * in.height * in.width,
                 IoError, "resize_bilinear_tf1: input {}x{}x{} has {} values", in.channels,
                 in.height, in.width, in.data.size());
  GENSWEEP_CHECK(out_h > 0 && out_w > 0, IoError,
                 "resize_bilinear_tf1: output size {}x{} must be positive", out_h, out_w);
  const Tf1Taps ty = tf1_taps(in.height, out_h);
  const Tf1Taps tx = tf1_taps(in.width, out_w);

  // The x interpolation of a source row does not depend on the output row, so each source row
  // that some output row reads is interpolated once per channel: the same float operations
  // torch-fidelity performs per output pixel (in_0 and in_1), hence the same bits.
  std::vector<int> slot_of(in.height, -1);
  int slots = 0;
  for (int oy = 0; oy < out_h; ++oy)
    for (int r : {ty.lo[oy], ty.hi[oy]})
      if (slot_of[r] < 0) slot_of[r] = slots++;
  std::vector<float> rows(static_cast<std::size_t>(slots) * out_w);

  FloatImage out;
  out.channels = in.channels;
  out.height = out_h;
  out.width = out_w;
  out.data.resize(static_cast<std::size_t>(in.channels) * out_h * out_w);
  const std::size_t in_plane = static_cast<std::size_t>(in.height) * in.width;
  const std::size_t out_plane = static_cast<std::size_t>(out_h) * out_w;
  for (int c = 0; c < in.channels; ++c) {
    const float* src = in.data.data() + c * in_plane;
    for (int r = 0; r < in.height; ++r) {
      if (slot_of[r] < 0) continue;
      const float* row = src + static_cast<std::size_t>(r) * in.width;
      float* dst = rows.data() + static_cast<std::size_t>(slot_of[r]) * out_w;
      for (int ox = 0; ox < out_w; ++ox)
        dst[ox] = lerp_tf1(row[tx.lo[ox]], row[tx.hi[ox]], tx.frac[ox]);
    }
    float* plane = out.data.data() + c * out_plane;
    for (int oy = 0; oy < out_h; ++oy) {
      const float* top = rows.data() + static_cast<std::size_t>(slot_of[ty.lo[oy]]) * out_w;
      const float* bottom = rows.data() + static_cast<std::size_t>(slot_of[ty.hi[oy]]) * out_w;
      const float t = ty.frac[oy];
      float* dst = plane + static_cast<std::size_t>(oy) * out_w;
      for (int ox = 0; ox < out_w; ++ox)
        dst[ox] = lerp_tf1(top[ox], bottom[ox], t);
    }
  }
  return out;
}

}  // namespace gensweep::io
