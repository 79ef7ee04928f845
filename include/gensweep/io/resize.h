#pragma once
// Resizes of planar float images that reproduce PyTorch's CPU kernels to the last bit, because
// pytorch-fid and clean-fid's legacy_pytorch mode resize with F.interpolate (METRICS.md §1.2,
// §1.5.2) and their features are the reference.

#include "gensweep/io/float_image.h"

namespace gensweep::io {

// F.interpolate(mode='bilinear', align_corners=False, antialias=False), as PyTorch 1.13's CPU
// kernel computes it in float32 (upsample_bilinear2d, verified bit-exact against pytorch-fid's
// golden tensors):
//   scale   = float(in) / float(out)                       (float32)
//   src     = double(scale) * (dst + 0.5) - 0.5, clamped at 0  (double: acc_type<float> on CPU)
//   i0      = int(src), i1 = i0 + 1 unless i0 == in - 1
//   l1      = float(src - i0), l0 = float(1 - l1)
//   out     = fma(l0, row(i0), l1 * row(i1)) per axis, width first then height,
// the fused multiply-add being what GCC contracts `t0 * w0 + t1 * w1` to in PyTorch's AVX2 /
// AVX-512 kernels (the ones every current x86 CPU dispatches to). When in == out on an axis that
// axis is copied. Uses hardware FMA when the CPU has it, a correctly rounded software fma
// otherwise: the results are identical.
FloatImage resize_bilinear_torch(const FloatImage& in, int out_h, int out_w);
void resize_bilinear_torch_into(const FloatImage& in, int out_h, int out_w, FloatImage& out);

// F.interpolate(mode='area') = adaptive_avg_pool2d: output cell (i, j) averages rows
// [floor(i*H/out_h), ceil((i+1)*H/out_h)) x columns likewise. As PyTorch's CPU kernel: float32
// sum in row-major order, then sum / kh / kw (two divisions). Works for upsampling too.
FloatImage resize_area(const FloatImage& in, int out_h, int out_w);

// TF1 tf.image.resize_bilinear(align_corners=False) as torch-fidelity emulates it
// (interpolate_bilinear_2d_like_tensorflow1x, method='slow'; METRICS.md §1.4, §1.5.3, §1.6, §1.8)
// on float input (0..255 in torch-fidelity), in float32 tensor-op order (tf1_resize.cpp):
//   scale = float(double(in) / out)       (torch.tensor(in / out, dtype=float32))
//   src   = float(dst) * scale            (float32; no half-pixel terms)
//   i0    = int(src), i1 = min(i0 + 1, in - 1), frac = src - i0
//   row   = a + (b - a) * frac            (three roundings: sub, mul, add; never fused)
// along x on rows i0 and i1, then along y. Verified bit-exact against torch-fidelity's golden
// tensors. No special case when in == out (frac is 0, the value is copied).
FloatImage resize_bilinear_tf1(const FloatImage& in, int out_h, int out_w);

}  // namespace gensweep::io
