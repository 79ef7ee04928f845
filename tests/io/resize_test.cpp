// Resizes against closed forms (the golden comparison with PyTorch is resize_golden_test.cpp).

#include "gensweep/io/resize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

FloatImage make(int channels, int height, int width, std::vector<float> data) {
  return FloatImage{channels, height, width, std::move(data)};
}

FloatImage random_float(int channels, int height, int width, std::uint64_t seed) {
  Rng rng(seed);
  FloatImage f{channels, height, width, std::vector<float>(std::size_t(channels) * height * width)};
  for (float& v : f.data)
    v = static_cast<float>(rng.uniform());
  return f;
}

float at(const FloatImage& f, int c, int y, int x) {
  return f.data[(std::size_t(c) * f.height + y) * f.width + x];
}

// --- bilinear ---------------------------------------------------------------------------------

TEST(ResizeBilinear, SameSizeIsACopy) {
  const FloatImage in = random_float(3, 7, 5, 41);
  EXPECT_EQ(resize_bilinear_torch(in, 7, 5).data, in.data);
}

TEST(ResizeBilinear, UpsampleRampByTwo) {
  // src = (d + 0.5) / 2 - 0.5 clamped to [0, in - 1]; on a ramp the output is that position.
  const FloatImage in = make(1, 1, 4, {0, 1, 2, 3});
  const FloatImage out = resize_bilinear_torch(in, 1, 8);
  EXPECT_EQ(out.data, (std::vector<float>{0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3}));
}

TEST(ResizeBilinear, DownsampleByTwoAveragesPairs) {
  // src = 2 d + 0.5: halfway between 2d and 2d + 1.
  const FloatImage in = make(1, 2, 6, {1, 3, 5, 9, 2, 4, 0, 8, 6, 2, 10, 12});
  const FloatImage out = resize_bilinear_torch(in, 1, 3);
  EXPECT_EQ(out.data, (std::vector<float>{3.0f, 5.5f, 7.0f}));
}

TEST(ResizeBilinear, AxesAreIndependentAndChannelsSeparate) {
  // A separable product image f(y, x) = a(y) * b(x) with exactly representable weights.
  const FloatImage in = make(2, 2, 2, {1, 2, 3, 4, /*channel 1:*/ 10, 20, 30, 40});
  const FloatImage out = resize_bilinear_torch(in, 4, 4);
  // positions along each axis: 0, 0.25, 0.75, 1
  const float pos[4] = {0, 0.25f, 0.75f, 1};
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) {
        const float scale = c == 0 ? 1.0f : 10.0f;
        const float expected = scale * (1 + pos[x] + 2 * pos[y]);
        EXPECT_FLOAT_EQ(at(out, c, y, x), expected) << c << " " << y << " " << x;
      }
}

TEST(ResizeBilinear, ConstantStaysConstant) {
  const FloatImage in = make(1, 3, 3, std::vector<float>(9, 0.3f));
  for (float v : resize_bilinear_torch(in, 299, 299).data)
    EXPECT_NEAR(v, 0.3f, 1e-7f);
}

TEST(ResizeBilinear, RejectsBadSizes) {
  EXPECT_THROW_WITH(resize_bilinear_torch(make(1, 2, 2, {1, 2, 3, 4}), 0, 3), IoError,
                    "resize_bilinear_torch: output size 0x3 must be positive");
  EXPECT_THROW_WITH(resize_bilinear_torch(make(3, 2, 2, {1, 2, 3, 4}), 3, 3), IoError,
                    "resize_bilinear_torch: input 3x2x2 has 4 values");
}

// --- area -------------------------------------------------------------------------------------

TEST(ResizeArea, IntegerFactorsGiveBlockMeans) {
  const FloatImage in = random_float(2, 12, 15, 42);
  const FloatImage out = resize_area(in, 4, 5);  // 3x3 blocks
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 5; ++x) {
        double sum = 0;
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx)
            sum += at(in, c, 3 * y + dy, 3 * x + dx);
        EXPECT_NEAR(at(out, c, y, x), sum / 9, 1e-6);
      }
}

TEST(ResizeArea, ConstantIsInvariant) {
  // 0.75 and its small multiples are exact in float: the result is exact.
  const FloatImage in = make(1, 10, 7, std::vector<float>(70, 0.75f));
  for (float v : resize_area(in, 3, 4).data)
    EXPECT_EQ(v, 0.75f);
  const FloatImage other = make(1, 10, 7, std::vector<float>(70, 0.1f));
  for (float v : resize_area(other, 3, 4).data)
    EXPECT_NEAR(v, 0.1f, 1e-7f);
}

TEST(ResizeArea, OneByOneIsTheGlobalMean) {
  const FloatImage in = random_float(3, 9, 11, 43);
  const FloatImage out = resize_area(in, 1, 1);
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int i = 0; i < 99; ++i)
      sum += in.data[c * 99 + i];
    EXPECT_NEAR(out.data[c], sum / 99, 1e-6);
  }
}

TEST(ResizeArea, NonIntegerRatioByHand) {
  // Width 5 -> 3: cells [0, 2), [1, 4), [3, 5) (floor(i*5/3), ceil((i+1)*5/3)).
  EXPECT_EQ(resize_area(make(1, 1, 5, {1, 2, 3, 4, 5}), 1, 3).data,
            (std::vector<float>{1.5f, 3.0f, 4.5f}));
  // 3x3 -> 2x2: rows and columns [0, 2), [1, 3); overlapping 2x2 windows.
  EXPECT_EQ(resize_area(make(1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9}), 2, 2).data,
            (std::vector<float>{3, 4, 6, 7}));
}

TEST(ResizeArea, UpsamplingRepeatsPixels) {
  // 2 -> 4: cells [0, 1), [0, 1), [1, 2), [1, 2).
  EXPECT_EQ(resize_area(make(1, 1, 2, {5, 9}), 1, 4).data, (std::vector<float>{5, 5, 9, 9}));
}

}  // namespace
}  // namespace gensweep::io
