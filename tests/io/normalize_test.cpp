// Normalisation and clipping against closed forms of torchvision's and numpy's float32 arithmetic.

#include "gensweep/io/normalize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gensweep/core/error.h"
#include "image_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

TEST(NormalizationFor, RoundsPythonDoublesToFloat32AfterScaling) {
  const Normalization unit = normalization_for(kImageNetStats, ValueRange::kUnit);
  EXPECT_EQ(unit.mean[0], 0.485f);
  EXPECT_EQ(unit.std[2], 0.225f);
  const Normalization byte = normalization_for(kImageNetStats, ValueRange::kByte);
  // torch-fidelity writes 255 * 0.485: a double product, then float32.
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(byte.mean[c], static_cast<float>(255.0 * kImageNetStats.mean[c]));
    EXPECT_EQ(byte.std[c], static_cast<float>(255.0 * kImageNetStats.std[c]));
  }
  EXPECT_NEAR(byte.mean[0], 123.675, 1e-5);
  EXPECT_NEAR(byte.std[2], 57.375, 1e-5);
  const Normalization clip = normalization_for(kClipStats, ValueRange::kUnit);
  EXPECT_EQ(clip.mean[1], 0.4578275f);
  EXPECT_EQ(clip.std[0], 0.26862954f);
}

TEST(NormalizeInPlace, SubtractThenTrueDivisionPerChannel) {
  FloatImage x{3, 1, 256, std::vector<float>(3 * 256)};
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      x.data[c * 256 + v] = static_cast<float>(v) / 255.0f;
  const FloatImage in = x;
  const Normalization n = normalization_for(kClipStats, ValueRange::kUnit);
  normalize_in_place(x, n.mean, n.std);
  int differs_from_reciprocal = 0;
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v) {
      volatile float centred = in.data[c * 256 + v] - n.mean[c];  // one rounding each
      const float expected = centred / n.std[c];
      ASSERT_EQ(x.data[c * 256 + v], expected) << c << "," << v;
      const float reciprocal = 1.0f / n.std[c];
      differs_from_reciprocal += centred * reciprocal != expected;
    }
  // The division matters: multiplying by a rounded reciprocal would differ somewhere.
  EXPECT_GT(differs_from_reciprocal, 0);
}

TEST(NormalizeInPlace, MinusOneToOneForInception) {
  // (x - 128) / 128 over 0..255 floats is exact: [-1, 0.9921875] in steps of 1/128.
  FloatImage x{3, 1, 256, std::vector<float>(3 * 256)};
  for (int i = 0; i < 3 * 256; ++i)
    x.data[i] = static_cast<float>(i % 256);
  normalize_in_place(x, {128, 128, 128}, {128, 128, 128});
  for (int i = 0; i < 3 * 256; ++i)
    ASSERT_EQ(x.data[i], (i % 256 - 128) / 128.0f);
}

TEST(NormalizeInPlace, RejectsZeroStdAndWrongChannels) {
  FloatImage x{3, 1, 1, {1, 2, 3}};
  EXPECT_THROW_WITH(normalize_in_place(x, {0, 0, 0}, {1, 0, 1}), IoError, "std[1] is 0");
  FloatImage gray{1, 1, 1, {1}};
  EXPECT_THROW_WITH(normalize_in_place(gray, {0, 0, 0}, {1, 1, 1}), IoError,
                    "image has 1 channels, expected 3");
}

TEST(ToNormalizedFloat, UnitAndByteRanges) {
  const Image im = testing::random_image(5, 4, 17);
  const FloatImage unit = to_normalized_float(im, ValueRange::kUnit, kImageNetStats);
  const FloatImage byte = to_normalized_float(im, ValueRange::kByte, kImageNetStats);
  const Normalization nu = normalization_for(kImageNetStats, ValueRange::kUnit);
  const Normalization nb = normalization_for(kImageNetStats, ValueRange::kByte);
  ASSERT_EQ(unit.channels, 3);
  ASSERT_EQ(unit.height, 4);
  ASSERT_EQ(unit.width, 5);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 20; ++i) {
      const float v = im.rgb[i * 3 + c];
      volatile float cu = v / 255.0f - nu.mean[c];  // ToTensor's v / 255, then sub_
      volatile float cb = v - nb.mean[c];
      EXPECT_EQ(unit.data[c * 20 + i], cu / nu.std[c]);
      EXPECT_EQ(byte.data[c * 20 + i], cb / nb.std[c]);
      // The two ranges agree to float round-off (the constants are the same up to 255).
      EXPECT_NEAR(unit.data[c * 20 + i], byte.data[c * 20 + i], 1e-5);
    }
}

TEST(ClipInPlace, ClampsAndKeepsNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  FloatImage x{1, 1, 5, {-3.5f, 0.0f, 128.25f, 255.0f, 300.0f}};
  clip_in_place(x, 0.0f, 255.0f);
  EXPECT_EQ(x.data, (std::vector<float>{0.0f, 0.0f, 128.25f, 255.0f, 255.0f}));
  FloatImage y{1, 1, 1, {nan}};
  clip_in_place(y, 0.0f, 255.0f);
  EXPECT_TRUE(std::isnan(y.data[0]));
  EXPECT_THROW_WITH(clip_in_place(x, 1.0f, 0.0f), IoError, "upper bound 0 is below lower bound 1");
}

}  // namespace
}  // namespace gensweep::io
