// uint8 HWC -> float CHW conversion.

#include "gensweep/io/float_image.h"

#include <gtest/gtest.h>

#include "image_test_util.h"

namespace gensweep::io {
namespace {

TEST(ToFloatChw, IsPlanarAndDividesLikeToTensor) {
  const Image image = testing::random_image(5, 3, 31);
  const FloatImage f = to_float_chw(image);
  ASSERT_EQ(f.channels, 3);
  ASSERT_EQ(f.height, 3);
  ASSERT_EQ(f.width, 5);
  ASSERT_EQ(f.data.size(), 45u);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 5; ++x) {
        const std::uint8_t v = image.rgb[(y * 5 + x) * 3 + c];
        // torchvision ToTensor: a float32 division by 255, not a multiply by 1/255.
        EXPECT_EQ(f.data[(c * 3 + y) * 5 + x], static_cast<float>(v) / 255.0f);
      }
}

TEST(ToFloatChw, DivisionDiffersFromReciprocalForSomeValues) {
  // Why the special case exists: the two formulas disagree in the last bit for some inputs.
  int differing = 0;
  for (int v = 0; v < 256; ++v)
    differing += static_cast<float>(v) / 255.0f != static_cast<float>(v) * (1.0f / 255.0f);
  EXPECT_GT(differing, 0);
}

TEST(ToFloatChw, ScaleAndOffset) {
  const Image image = testing::constant_image(2, 2, 0, 128, 255);
  const FloatImage f = to_float_chw(image, 1.0f, -128.0f);
  EXPECT_EQ(f.data[0], -128.0f);
  EXPECT_EQ(f.data[4], 0.0f);
  EXPECT_EQ(f.data[8], 127.0f);
  const FloatImage g = to_float_chw(image, 0.5f, 1.0f);
  EXPECT_EQ(g.data[4], 65.0f);
}

TEST(AffineInPlace, MultipliesThenAdds) {
  FloatImage f{1, 1, 3, {0.0f, 0.5f, 1.0f}};
  affine_in_place(f, 2.0f, -1.0f);
  EXPECT_EQ(f.data, (std::vector<float>{-1.0f, 0.0f, 1.0f}));
}

}  // namespace
}  // namespace gensweep::io
