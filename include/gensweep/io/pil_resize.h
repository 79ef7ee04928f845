#pragma once
// Pillow's bicubic resample (Image.resize(size, Image.BICUBIC), libImaging/Resample.c), the resize
// clean-fid's "clean" mode, CLIP, CMMD and the PIL-based torchvision transforms run
// (METRICS.md §1.5, §1.5.1, §1.6, §1.7). Both modes share Pillow's coefficients; per axis, for
// output index xx (in = source size, out = output size):
//   scale = double(in) / out, filterscale = max(scale, 1)      (antialiasing when downscaling)
//   support = 2 * filterscale, center = (xx + 0.5) * scale
//   taps j in [int(center - support + 0.5) clamped at 0, int(center + support + 0.5) clamped at in)
//   w_j = cubic((j - center + 0.5) * (1 / filterscale)), a = -0.5 (Horner forms as Pillow writes
//   them), then w_j /= sum(w)
// Separable: a horizontal pass, then a vertical pass; a pass is skipped when its axis keeps its
// size (and the image is copied when both do, as Image.resize does).

#include "gensweep/io/float_image.h"
#include "gensweep/io/image.h"

namespace gensweep::io {

// Mode 'F' (32-bit float), per channel: each output value is the double sum of
// double(pixel) * w_j in tap order, stored as float32 after each pass. clean-fid resizes every
// channel of the uint8 image as an 'F' image on 0..255 floats and then clips with
// numpy.clip(0, 255) WITHOUT quantizing: this function neither clips nor quantizes, the caller
// clips (clip_in_place in normalize.h). Verified bit-exact against clean-fid's golden tensors
// (32 -> 299); downscaling is checked against an independent implementation in the tests.
FloatImage resize_bicubic_pil_float(const FloatImage& in, int out_h, int out_w);

// The 8-bit path (mode 'RGB'): the weights become int32 with 22 fractional bits
// (PRECISION_BITS = 32 - 8 - 2), rounded half away from zero; each pass sums pixel * weight in
// integers starting from 1 << 21 (the rounding offset), then takes sum >> 22 clipped to [0, 255].
// The horizontal pass's result is itself an 8-bit image, as in Pillow.
Image resize_bicubic_pil_u8(const Image& in, int out_h, int out_w);

}  // namespace gensweep::io
