// Pillow bicubic resample ('F' and 8-bit modes) against properties, hand-computed examples, and an
// independent straightforward implementation written here from METRICS.md §1.5.1. (The 'F' mode
// is also checked bit-exact against clean-fid's golden tensors in preproc_golden_test.cpp; no
// golden tensor exists for the 8-bit path.)
//
// The reference below evaluates the kernel in its expanded form, (a+2)|x|^3 - (a+3)|x|^2 + 1 and
// a(|x|^3 - 5|x|^2 + 8|x| - 4), with the argument divided by filterscale, while the library uses
// Pillow's Horner forms and a reciprocal: the double weights may differ in the last bits, which
// moves a float32 result by far less than the 'F' tolerance and changes a 22-bit fixed-point
// coefficient only if w * 2^22 sits within ~1e-9 of a half (none does in these cases). The 8-bit
// quantization rules are then applied as §1.5.1 states them: coefficients rounded half away from
// zero to 22 fractional bits, integer sums starting at 2^21, floor(sum / 2^22) clipped to
// [0, 255], an 8-bit image after the horizontal pass, a pass skipped when its size is unchanged.

#include "gensweep/io/pil_resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "image_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

// --- independent reference ------------------------------------------------------------------

double cubic_expanded(double x) {
  const double a = -0.5, t = std::fabs(x);
  if (t < 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * (t * t * t - 5 * t * t + 8 * t - 4);
  return 0;
}

struct RefTaps {
  int first;
  std::vector<double> w;
};

// METRICS.md §1.5.1, one output index at a time.
std::vector<RefTaps> reference_taps(int in, int out) {
  const double scale = double(in) / out;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  std::vector<RefTaps> taps(out);
  for (int xx = 0; xx < out; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(int(center - support + 0.5), 0);
    const int xmax = std::min(int(center + support + 0.5), in);
    double sum = 0;
    for (int j = xmin; j < xmax; ++j) {
      taps[xx].w.push_back(cubic_expanded((j - center + 0.5) / filterscale));
      sum += taps[xx].w.back();
    }
    for (double& w : taps[xx].w)
      w /= sum;
    taps[xx].first = xmin;
  }
  return taps;
}

std::int64_t fixed22(double w) {
  const double scaled = w * 4194304.0;  // 2^22
  return w < 0 ? -std::int64_t(std::floor(-scaled + 0.5)) : std::int64_t(std::floor(scaled + 0.5));
}

std::uint8_t clip_shift(std::int64_t sum) {
  const std::int64_t v = sum >= 0 ? sum / 4194304 : -((-sum + 4194303) / 4194304);  // floor
  return std::uint8_t(std::clamp<std::int64_t>(v, 0, 255));
}

Image reference_u8(const Image& in, int out_h, int out_w) {
  Image cur = in;
  if (out_w != in.width) {
    const auto taps = reference_taps(in.width, out_w);
    Image next{out_w, cur.height, std::vector<std::uint8_t>(std::size_t(out_w) * cur.height * 3)};
    for (int y = 0; y < cur.height; ++y)
      for (int xx = 0; xx < out_w; ++xx)
        for (int c = 0; c < 3; ++c) {
          std::int64_t sum = 1 << 21;
          for (std::size_t t = 0; t < taps[xx].w.size(); ++t)
            sum +=
                std::int64_t(cur.rgb[(std::size_t(y) * cur.width + taps[xx].first + t) * 3 + c]) *
                fixed22(taps[xx].w[t]);
          next.rgb[(std::size_t(y) * out_w + xx) * 3 + c] = clip_shift(sum);
        }
    cur = std::move(next);
  }
  if (out_h != in.height) {
    const auto taps = reference_taps(in.height, out_h);
    Image next{cur.width, out_h, std::vector<std::uint8_t>(std::size_t(cur.width) * out_h * 3)};
    for (int yy = 0; yy < out_h; ++yy)
      for (int x = 0; x < cur.width; ++x)
        for (int c = 0; c < 3; ++c) {
          std::int64_t sum = 1 << 21;
          for (std::size_t t = 0; t < taps[yy].w.size(); ++t)
            sum += std::int64_t(cur.rgb[((taps[yy].first + t) * cur.width + x) * 3 + c]) *
                   fixed22(taps[yy].w[t]);
          next.rgb[(std::size_t(yy) * cur.width + x) * 3 + c] = clip_shift(sum);
        }
    cur = std::move(next);
  }
  return cur;
}

// 'F' mode: double sums, float32 storage after each pass.
FloatImage reference_float(const FloatImage& in, int out_h, int out_w) {
  FloatImage cur = in;
  if (out_w != in.width) {
    const auto taps = reference_taps(in.width, out_w);
    FloatImage next{in.channels, cur.height, out_w,
                    std::vector<float>(std::size_t(in.channels) * cur.height * out_w)};
    for (int c = 0; c < in.channels; ++c)
      for (int y = 0; y < cur.height; ++y)
        for (int xx = 0; xx < out_w; ++xx) {
          double sum = 0;
          for (std::size_t t = 0; t < taps[xx].w.size(); ++t)
            sum +=
                double(
                    cur.data[(std::size_t(c) * cur.height + y) * cur.width + taps[xx].first + t]) *
                taps[xx].w[t];
          next.data[(std::size_t(c) * cur.height + y) * out_w + xx] = float(sum);
        }
    cur = std::move(next);
  }
  if (out_h != in.height) {
    const auto taps = reference_taps(in.height, out_h);
    FloatImage next{in.channels, out_h, cur.width,
                    std::vector<float>(std::size_t(in.channels) * out_h * cur.width)};
    for (int c = 0; c < in.channels; ++c)
      for (int yy = 0; yy < out_h; ++yy)
        for (int x = 0; x < cur.width; ++x) {
          double sum = 0;
          for (std::size_t t = 0; t < taps[yy].w.size(); ++t)
            sum +=
                double(
                    cur.data[(std::size_t(c) * cur.height + taps[yy].first + t) * cur.width + x]) *
                taps[yy].w[t];
          next.data[(std::size_t(c) * out_h + yy) * cur.width + x] = float(sum);
        }
    cur = std::move(next);
  }
  return cur;
}

// --- helpers ----------------------------------------------------------------------------------

Image gray_row(std::vector<std::uint8_t> values) {
  Image im{int(values.size()), 1, {}};
  for (std::uint8_t v : values)
    im.rgb.insert(im.rgb.end(), {v, v, v});
  return im;
}

std::vector<int> red_channel(const Image& im) {
  std::vector<int> r;
  for (std::size_t i = 0; i < im.rgb.size(); i += 3)
    r.push_back(im.rgb[i]);
  return r;
}

FloatImage random_float_0_255(int channels, int height, int width, std::uint64_t seed) {
  Rng rng(seed);
  FloatImage f{channels, height, width, std::vector<float>(std::size_t(channels) * height * width)};
  for (float& v : f.data)
    v = std::round(static_cast<float>(rng.uniform() * 255.0));
  return f;
}

Image mirror_x(const Image& im) {
  Image m = im;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      for (int c = 0; c < 3; ++c)
        m.rgb[(std::size_t(y) * im.width + x) * 3 + c] =
            im.rgb[(std::size_t(y) * im.width + (im.width - 1 - x)) * 3 + c];
  return m;
}

Image mirror_y(const Image& im) {
  Image m = im;
  for (int y = 0; y < im.height; ++y)
    std::copy_n(im.rgb.begin() + std::size_t(im.height - 1 - y) * im.width * 3, im.width * 3,
                m.rgb.begin() + std::size_t(y) * im.width * 3);
  return m;
}

// Size pairs covering upscaling, antialiased downscaling, non-integer ratios, one axis unchanged,
// and single-pixel edges.
struct SizeCase {
  int in_h, in_w, out_h, out_w;
};
const SizeCase kSizes[] = {{32, 32, 299, 299}, {37, 23, 11, 64}, {50, 40, 7, 40},  {9, 13, 9, 5},
                           {1, 5, 3, 2},       {6, 1, 2, 4},     {64, 48, 21, 33}, {5, 5, 1, 1}};

// --- 'F' mode ---------------------------------------------------------------------------------

TEST(PilBicubicFloat, SameSizeReturnsTheInput) {
  const FloatImage in = random_float_0_255(3, 7, 5, 3);
  EXPECT_EQ(resize_bicubic_pil_float(in, 7, 5).data, in.data);
}

TEST(PilBicubicFloat, ConstantStaysConstant) {
  // The weights sum to 1 within double round-off, far below a float32 ulp of the value.
  for (const SizeCase& s : kSizes) {
    FloatImage in{3, s.in_h, s.in_w, std::vector<float>(std::size_t(3) * s.in_h * s.in_w, 0)};
    for (int c = 0; c < 3; ++c)
      std::fill_n(in.data.begin() + std::size_t(c) * s.in_h * s.in_w, s.in_h * s.in_w,
                  37.25f + 100 * c);
    const FloatImage out = resize_bicubic_pil_float(in, s.out_h, s.out_w);
    ASSERT_EQ(out.data.size(), std::size_t(3) * s.out_h * s.out_w);
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < s.out_h * s.out_w; ++i)
        ASSERT_EQ(out.data[std::size_t(c) * s.out_h * s.out_w + i], 37.25f + 100 * c)
            << s.in_h << "x" << s.in_w << " -> " << s.out_h << "x" << s.out_w;
  }
}

TEST(PilBicubicFloat, MatchesIndependentReference) {
  std::uint64_t seed = 100;
  for (const SizeCase& s : kSizes) {
    const FloatImage in = random_float_0_255(3, s.in_h, s.in_w, ++seed);
    const FloatImage got = resize_bicubic_pil_float(in, s.out_h, s.out_w);
    const FloatImage want = reference_float(in, s.out_h, s.out_w);
    ASSERT_EQ(got.height, s.out_h);
    ASSERT_EQ(got.width, s.out_w);
    ASSERT_EQ(got.data.size(), want.data.size());
    for (std::size_t i = 0; i < got.data.size(); ++i)
      ASSERT_NEAR(got.data[i], want.data[i], 1e-4)
          << s.in_h << "x" << s.in_w << " -> " << s.out_h << "x" << s.out_w << " at " << i;
  }
}

TEST(PilBicubicFloat, HandComputedUpscaleOvershootsAndIsNotClipped) {
  // 1x2 -> 1x4 (scale 0.5, support 2, only taps 0 and 1 exist). Output 0: center 0.25, arguments
  // 0.25 and 1.25, cubic = 0.8671875 and -0.0703125 (sum 0.796875), normalised 111/102 and
  // -9/102. Output 1: center 0.75, arguments -0.25 and 0.75, cubic 0.8671875 and 0.2265625,
  // normalised 111/140 and 29/140. Outputs 2, 3 mirror them.
  const FloatImage in{1, 1, 2, {0.0f, 255.0f}};
  const FloatImage out = resize_bicubic_pil_float(in, 1, 4);
  const double expected[4] = {-9.0 / 102 * 255, 29.0 / 140 * 255, 111.0 / 140 * 255,
                              111.0 / 102 * 255};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(out.data[i], expected[i], 2e-5) << i;
  EXPECT_LT(out.data[0], 0.0f);  // the caller clips (clean-fid: numpy clip(0, 255))
  EXPECT_GT(out.data[3], 255.0f);
}

TEST(PilBicubicFloat, RejectsBadSizes) {
  const FloatImage in{3, 2, 2, std::vector<float>(12)};
  EXPECT_THROW_WITH(resize_bicubic_pil_float(in, 0, 4), IoError, "output size 0x4");
  EXPECT_THROW_WITH(resize_bicubic_pil_float(FloatImage{3, 2, 2, std::vector<float>(5)}, 4, 4),
                    IoError, "input 3x2x2 has 5 values");
}

// --- 8-bit mode -------------------------------------------------------------------------------

TEST(PilBicubicU8, SameSizeReturnsTheInput) {
  const Image in = testing::random_image(9, 6, 11);
  EXPECT_EQ(resize_bicubic_pil_u8(in, 6, 9).rgb, in.rgb);
}

TEST(PilBicubicU8, ConstantStaysConstant) {
  // The 22-bit weights sum to 2^22 within a few units, so v * sum + 2^21 >> 22 is v again.
  for (const SizeCase& s : kSizes) {
    const Image in = testing::constant_image(s.in_w, s.in_h, 0, 131, 255);
    const Image out = resize_bicubic_pil_u8(in, s.out_h, s.out_w);
    EXPECT_EQ(out.rgb, testing::constant_image(s.out_w, s.out_h, 0, 131, 255).rgb)
        << s.in_h << "x" << s.in_w << " -> " << s.out_h << "x" << s.out_w;
  }
}

TEST(PilBicubicU8, MatchesIndependentReferenceExactly) {
  std::uint64_t seed = 200;
  for (const SizeCase& s : kSizes) {
    const Image in = testing::random_image(s.in_w, s.in_h, ++seed);
    const Image got = resize_bicubic_pil_u8(in, s.out_h, s.out_w);
    const Image want = reference_u8(in, s.out_h, s.out_w);
    ASSERT_EQ(got.width, s.out_w);
    ASSERT_EQ(got.height, s.out_h);
    EXPECT_EQ(got.rgb, want.rgb) << s.in_h << "x" << s.in_w << " -> " << s.out_h << "x" << s.out_w;
  }
  // Smooth content exercises the clipping less and the rounding more.
  const Image smooth = testing::smooth_image(40, 30);
  EXPECT_EQ(resize_bicubic_pil_u8(smooth, 17, 23).rgb, reference_u8(smooth, 17, 23).rgb);
  EXPECT_EQ(resize_bicubic_pil_u8(smooth, 71, 90).rgb, reference_u8(smooth, 71, 90).rgb);
}

TEST(PilBicubicU8, HandComputedDownscaleByTwo) {
  // 1x4 -> 1x2: scale 2, filterscale 2, support 4. Output 0: center 1, taps 0..3 (xmin
  // int(-2.5) = -2 -> 0, xmax int(5.5) = 5 -> 4), arguments (j - 0.5) / 2 = -0.25, 0.25, 0.75,
  // 1.25, cubic 111/128, 111/128, 29/128, -9/128, normalised by 242/128: 111/242, 111/242,
  // 29/242, -9/242 -> 22-bit 1923834, 1923834, 502623, -155987 (-155986.9 rounds away from 0).
  // Row 0 0 255 255: 255 * (502623 - 155987) + 2^21 = 90489332, >> 22 = 21 (exactly 21.07).
  // Output 1 has the weights reversed: 255 * 2 * 1923834 + 2^21 = 983252492 >> 22 = 234.
  EXPECT_EQ(red_channel(resize_bicubic_pil_u8(gray_row({0, 0, 255, 255}), 1, 2)),
            (std::vector<int>{21, 234}));
}

TEST(PilBicubicU8, HandComputedDownscaleByThreeHasWeightsNotSummingToOne) {
  // 1x3 -> 1x1: center 1.5, support 6, arguments (j - 1) / 3: cubic(1/3) = 7/9, cubic(0) = 1,
  // normalised 7/23, 9/23, 7/23 -> 1276527, 1641249, 1276527 (sum 2^22 - 1).
  // 30, 90, 210: 240 * 1276527 + 90 * 1641249 + 2^21 = 456176042 >> 22 = 108 (2490/23 = 108.26).
  EXPECT_EQ(red_channel(resize_bicubic_pil_u8(gray_row({30, 90, 210}), 1, 1)),
            (std::vector<int>{108}));
}

TEST(PilBicubicU8, HandComputedUpscaleClipsBothWays) {
  // 1x2 -> 1x4 (weights in the 'F' test above): 22-bit 4564390, -370086 and 3325484, 868820.
  // 10, 200: output 0 = 10 * 4564390 - 200 * 370086 + 2^21 < 0 -> 0 (exactly -6.8);
  // output 1 = 10 * 3325484 + 200 * 868820 + 2^21 = 209115992 >> 22 = 49 (49.36).
  EXPECT_EQ(red_channel(resize_bicubic_pil_u8(gray_row({10, 200}), 1, 4)),
            (std::vector<int>{0, 49, 161, 217}));
  // 0, 255: the last output is 255 * 4564390 / 2^22 = 277.5 -> 255.
  EXPECT_EQ(red_channel(resize_bicubic_pil_u8(gray_row({0, 255}), 1, 4)),
            (std::vector<int>{0, 53, 202, 255}));
}

TEST(PilBicubicU8, IntermediateImageIsQuantized) {
  // 2x2 -> 1x1: both passes average two pixels with weights 1/2 = 2^21 each, i.e.
  // floor((a + b + 1) / 2). Rows 0 1 and 1 2 give 1 and 2 after the horizontal pass, then
  // (1 + 2 + 1) / 2 = 2, not round(mean) = 1: the 8-bit intermediate is part of Pillow's result.
  Image in{2, 2, {0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2}};
  EXPECT_EQ(resize_bicubic_pil_u8(in, 1, 1).rgb, (std::vector<std::uint8_t>{2, 2, 2}));
}

TEST(PilBicubicU8, SymmetricImageGivesSymmetricResult) {
  // With dyadic scales every center and weight is exact, the tap windows are mirror images, and
  // the integer sums do not depend on order: mirroring commutes with the resize exactly.
  const Image half = testing::random_image(8, 12, 7);
  Image sym = half;  // 16 wide: left half random, right half its mirror
  sym.width = 16;
  sym.rgb.assign(std::size_t(16) * 12 * 3, 0);
  const Image mirrored = mirror_x(half);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 16; ++x)
      for (int c = 0; c < 3; ++c)
        sym.rgb[(std::size_t(y) * 16 + x) * 3 + c] =
            x < 8 ? half.rgb[(std::size_t(y) * 8 + x) * 3 + c]
                  : mirrored.rgb[(std::size_t(y) * 8 + x - 8) * 3 + c];
  ASSERT_EQ(mirror_x(sym).rgb, sym.rgb);
  for (auto [oh, ow] : {std::pair{6, 8}, std::pair{3, 4}, std::pair{24, 32}, std::pair{12, 2}}) {
    const Image out = resize_bicubic_pil_u8(sym, oh, ow);
    EXPECT_EQ(mirror_x(out).rgb, out.rgb) << oh << "x" << ow;
    // And for any image: resize(mirror(x)) == mirror(resize(x)), on both axes.
    const Image any = testing::random_image(16, 12, 8);
    EXPECT_EQ(resize_bicubic_pil_u8(mirror_x(any), oh, ow).rgb,
              mirror_x(resize_bicubic_pil_u8(any, oh, ow)).rgb);
    EXPECT_EQ(resize_bicubic_pil_u8(mirror_y(any), oh, ow).rgb,
              mirror_y(resize_bicubic_pil_u8(any, oh, ow)).rgb);
  }
}

TEST(PilBicubicU8, IntegerDownscaleOfConstantBlocks) {
  // 64x64 made of 16x16 constant blocks, downscaled by 2 (taps span 8 source pixels, 2j - 3 ..
  // 2j + 4 for output j): outputs whose taps lie inside one block in both axes equal the block's
  // colour exactly; the others blend neighbours and must match the reference.
  Image in{64, 64, std::vector<std::uint8_t>(64 * 64 * 3)};
  Rng rng(5);
  std::uint8_t block[4][4][3];
  for (auto& row : block)
    for (auto& px : row)
      for (auto& v : px)
        v = std::uint8_t(rng.uniform() * 256);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      for (int c = 0; c < 3; ++c)
        in.rgb[(std::size_t(y) * 64 + x) * 3 + c] = block[y / 16][x / 16][c];
  const Image out = resize_bicubic_pil_u8(in, 32, 32);
  EXPECT_EQ(out.rgb, reference_u8(in, 32, 32).rgb);
  auto inside = [](int j) {  // taps of output j within one source block
    const int lo = std::max(2 * j - 3, 0), hi = std::min(2 * j + 4, 63);
    return lo / 16 == hi / 16;
  };
  int checked = 0;
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x)
      if (inside(y) && inside(x)) {
        ++checked;
        for (int c = 0; c < 3; ++c)
          ASSERT_EQ(out.rgb[(std::size_t(y) * 32 + x) * 3 + c], block[y / 8][x / 8][c])
              << y << "," << x;
      }
  // Per axis: outputs 0-5, 10-13, 18-21 and 26-31 (the image edges truncate the taps), so 20.
  EXPECT_EQ(checked, 20 * 20);
}

TEST(PilBicubicU8, RejectsBadSizes) {
  const Image in = testing::constant_image(2, 2, 1, 2, 3);
  EXPECT_THROW_WITH(resize_bicubic_pil_u8(in, 3, -1), IoError, "output size 3x-1");
  EXPECT_THROW_WITH(resize_bicubic_pil_u8(Image{2, 2, std::vector<std::uint8_t>(5)}, 3, 3), IoError,
                    "image 2x2 has 5 bytes");
}

}  // namespace
}  // namespace gensweep::io
