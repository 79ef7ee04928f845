// TF1-style bilinear resize against closed forms (the golden comparison with torch-fidelity is
// preproc_golden_test.cpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/io/resize.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

FloatImage random_float(int channels, int height, int width, std::uint64_t seed) {
  Rng rng(seed);
  FloatImage f{channels, height, width, std::vector<float>(std::size_t(channels) * height * width)};
  for (float& v : f.data)
    v = static_cast<float>(rng.uniform() * 255);
  return f;
}

TEST(ResizeBilinearTf1, SameSizeIsACopy) {
  const FloatImage in = random_float(3, 6, 9, 1);
  EXPECT_EQ(resize_bilinear_tf1(in, 6, 9).data, in.data);
}

TEST(ResizeBilinearTf1, UpsampleRampByTwoHasNoHalfPixelShift) {
  // src = d * 4 / 8 = d / 2 (no half-pixel terms); the last output clamps x1 to the edge, so it
  // repeats the last pixel. PyTorch's align_corners=False bilinear would give 0, 0.25, 0.75, ...
  const FloatImage in{1, 1, 4, {0, 1, 2, 3}};
  EXPECT_EQ(resize_bilinear_tf1(in, 1, 8).data,
            (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3}));
}

TEST(ResizeBilinearTf1, DownsampleByTwoPicksEvenPixels) {
  // src = 2 d lands exactly on pixels 0, 2, 4: TF1 does not average (no antialiasing).
  const FloatImage in{1, 2, 6, {1, 3, 5, 9, 2, 4, 0, 8, 6, 2, 10, 12}};
  EXPECT_EQ(resize_bilinear_tf1(in, 1, 3).data, (std::vector<float>{1, 5, 2}));
}

TEST(ResizeBilinearTf1, InterpolatesXThenY) {
  // 2x2 -> 4x4: positions 0, 0.5, 1, 1 (clamped) on both axes; values exactly representable.
  const FloatImage in{2, 2, 2, {0, 4, 8, 16, /*channel 1:*/ 100, 100, 100, 100}};
  const FloatImage out = resize_bilinear_tf1(in, 4, 4);
  const float c0[16] = {0, 2, 4, 4, 4, 7, 10, 10, 8, 12, 16, 16, 8, 12, 16, 16};
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out.data[i], c0[i]) << i;
    EXPECT_EQ(out.data[16 + i], 100.0f) << i;
  }
}

TEST(ResizeBilinearTf1, SamplePositionsFor32To299) {
  // On a ramp f(x) = x the output is the sample position float(d) * float(32 / 299) (float32),
  // within round-off of d * 32 / 299, until it passes the last pixel (d >= 290, src > 31): there
  // x1 clamps to x0 = 31 and the edge value repeats. The first sample is pixel 0 exactly.
  FloatImage in{1, 1, 32, std::vector<float>(32)};
  for (int x = 0; x < 32; ++x)
    in.data[x] = static_cast<float>(x);
  const FloatImage out = resize_bilinear_tf1(in, 1, 299);
  EXPECT_EQ(out.data[0], 0.0f);
  const float scale = static_cast<float>(32.0 / 299.0);
  for (int d = 0; d < 299; ++d) {
    const float src = static_cast<float>(d) * scale;
    // x0 + (x0 + 1 - x0) * frac is exactly src here (frac and the sum are representable).
    EXPECT_EQ(out.data[d], src < 31.0f ? src : 31.0f) << d;
    EXPECT_NEAR(out.data[d], std::min(d * 32.0 / 299.0, 31.0), 1e-5) << d;
  }
  EXPECT_LT(static_cast<float>(289) * scale, 31.0f);
  EXPECT_GT(static_cast<float>(290) * scale, 31.0f);
}

TEST(ResizeBilinearTf1, ThreeRoundingsNotOneFusedOperation) {
  // torch-fidelity's a + (b - a) * t is three tensor ops, each rounded to float32; a fused
  // multiply-add (or a * (1 - t) + b * t) changes the last bit of many outputs. The expected
  // values are computed here step by step, per output pixel, as torch-fidelity's tensors hold them.
  const FloatImage in = random_float(1, 5, 7, 9);
  const FloatImage out = resize_bilinear_tf1(in, 13, 17);
  const float sy = static_cast<float>(5.0 / 13.0), sx = static_cast<float>(7.0 / 17.0);
  for (int oy = 0; oy < 13; ++oy)
    for (int ox = 0; ox < 17; ++ox) {
      const float fy = static_cast<float>(oy) * sy, fx = static_cast<float>(ox) * sx;
      const int y0 = static_cast<int>(fy), x0 = static_cast<int>(fx);
      const int y1 = std::min(y0 + 1, 4), x1 = std::min(x0 + 1, 6);
      const float dy = fy - static_cast<float>(y0), dx = fx - static_cast<float>(x0);
      auto px = [&](int y, int x) { return in.data[y * 7 + x]; };
      volatile float t;  // volatile: keep each rounding even if the test is built with contraction
      t = px(y0, x1) - px(y0, x0);
      t = t * dx;
      const float top = px(y0, x0) + t;
      t = px(y1, x1) - px(y1, x0);
      t = t * dx;
      const float bottom = px(y1, x0) + t;
      t = bottom - top;
      t = t * dy;
      const float expected = top + t;
      ASSERT_EQ(out.data[oy * 17 + ox], expected) << oy << "," << ox;
    }
}

TEST(ResizeBilinearTf1, RejectsBadSizes) {
  const FloatImage in{3, 2, 2, std::vector<float>(12)};
  EXPECT_THROW_WITH(resize_bilinear_tf1(in, 4, 0), IoError, "output size 4x0");
  EXPECT_THROW_WITH(resize_bilinear_tf1(FloatImage{3, 2, 2, std::vector<float>(11)}, 4, 4), IoError,
                    "input 3x2x2 has 11 values");
}

}  // namespace
}  // namespace gensweep::io
