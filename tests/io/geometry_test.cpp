// Output sizes and crops against closed forms from torchvision's and CMMD's Python code.

#include "gensweep/io/geometry.h"

#include <gtest/gtest.h>

#include "gensweep/core/error.h"
#include "gensweep/io/pil_resize.h"
#include "image_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

// Pixel (y, x) = (y, x, 7): a crop's offsets can be read off its first pixel.
Image coordinates(int width, int height) {
  Image im{width, height, {}};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      im.rgb.insert(im.rgb.end(), {std::uint8_t(y), std::uint8_t(x), 7});
  return im;
}

// The (top, left) a crop starts at, checked over the whole crop.
std::pair<int, int> origin(const Image& crop) {
  const int top = crop.rgb[0], left = crop.rgb[1];
  for (int y = 0; y < crop.height; ++y)
    for (int x = 0; x < crop.width; ++x) {
      const std::uint8_t* p = &crop.rgb[(std::size_t(y) * crop.width + x) * 3];
      EXPECT_EQ(p[0], top + y);
      EXPECT_EQ(p[1], left + x);
    }
  return {top, left};
}

TEST(ShorterSideSize, ShorterSideBecomesSizeLongerIsTruncated) {
  // (h, w) -> torchvision Resize(224): int(224 * long / short).
  EXPECT_EQ(shorter_side_size(480, 640, 224), (std::pair{224, 298}));  // 298.67
  EXPECT_EQ(shorter_side_size(640, 480, 224), (std::pair{298, 224}));
  EXPECT_EQ(shorter_side_size(200, 333, 224), (std::pair{224, 372}));  // 372.96, not rounded
  EXPECT_EQ(shorter_side_size(300, 200, 100), (std::pair{150, 100}));  // exact quotient
  EXPECT_EQ(shorter_side_size(256, 256, 224), (std::pair{224, 224}));
  EXPECT_EQ(shorter_side_size(32, 32, 336), (std::pair{336, 336}));  // upscaling too
  EXPECT_EQ(shorter_side_size(1, 1000, 3), (std::pair{3, 3000}));
  // 224 * 1000 / 700 = 320 exactly in rational terms; the correctly rounded double quotient
  // (what Python computes) is 320.0, so no off-by-one from a product like 224 * (1000 / 700).
  EXPECT_EQ(shorter_side_size(700, 1000, 224), (std::pair{224, 320}));
  EXPECT_THROW_WITH(shorter_side_size(0, 5, 3), IoError, "image size 0x5");
  EXPECT_THROW_WITH(shorter_side_size(5, 5, 0), IoError, "size 0 must be positive");
}

TEST(CenterCrop, OffsetsRoundHalfToEvenAsPythonRound) {
  // int(round((h - th) / 2.0)): margin 1 -> 0.5 -> 0, 3 -> 1.5 -> 2, 5 -> 2.5 -> 2,
  // 7 -> 3.5 -> 4, even margins halve exactly.
  const int expected_top[] = {0, 0, 1, 2, 2, 2, 3, 4};  // margins 0..7
  for (int margin = 0; margin < 8; ++margin) {
    const Image crop = center_crop(coordinates(4 + margin, 4 + margin), 4, 4);
    ASSERT_EQ(crop.width, 4);
    ASSERT_EQ(crop.height, 4);
    EXPECT_EQ(origin(crop), (std::pair{expected_top[margin], expected_top[margin]}))
        << "margin " << margin;
  }
  // Rectangular: 10 high, 7 wide to 5x4: top round(2.5) = 2, left round(1.5) = 2.
  EXPECT_EQ(origin(center_crop(coordinates(7, 10), 5, 4)), (std::pair{2, 2}));
  // Same size: the image itself.
  const Image im = coordinates(6, 5);
  EXPECT_EQ(center_crop(im, 5, 6).rgb, im.rgb);
}

TEST(CenterCrop, LargerThanImagePadsWithBlackFirst) {
  // torchvision pads (crop - size) // 2 before and the rest after, then crops at offset 0 on that
  // axis. 2x3 (h x w) -> 5x4: 1 row above, 2 below; 0 columns left, 1 right.
  const Image im = testing::constant_image(3, 2, 9, 9, 9);
  const Image crop = center_crop(im, 5, 4);
  ASSERT_EQ(crop.height, 5);
  ASSERT_EQ(crop.width, 4);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 4; ++x) {
      const bool inside = y >= 1 && y < 3 && x < 3;
      EXPECT_EQ(crop.rgb[(std::size_t(y) * 4 + x) * 3], inside ? 9 : 0) << y << "," << x;
    }
  // Mixed: taller than the crop, narrower than it. 9 high, 2 wide -> 4x5: rows from round(2.5) =
  // 2, columns padded 1 before, 2 after.
  const Image mixed = center_crop(coordinates(2, 9), 4, 5);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) {
      const std::uint8_t* p = &mixed.rgb[(std::size_t(y) * 5 + x) * 3];
      if (x >= 1 && x < 3) {
        EXPECT_EQ(p[0], 2 + y);
        EXPECT_EQ(p[1], x - 1);
        EXPECT_EQ(p[2], 7);
      } else {
        EXPECT_EQ(p[2], 0) << "padding is black";
      }
    }
}

TEST(CenterCrop, RejectsBadSizes) {
  EXPECT_THROW_WITH(center_crop(coordinates(3, 3), 0, 2), IoError, "crop size 0x2");
  EXPECT_THROW_WITH(center_crop(Image{3, 3, {}}, 2, 2), IoError, "image 3x3 has 0 bytes");
}

TEST(SquareCenterCrop, FloorOffsetsAsCmmd) {
  // side = min(h, w); (h - l) // 2 and (w - l) // 2.
  const Image wide = square_center_crop(coordinates(8, 5));  // w 8, h 5: left 3 // 2 = 1
  EXPECT_EQ(wide.width, 5);
  EXPECT_EQ(wide.height, 5);
  EXPECT_EQ(origin(wide), (std::pair{0, 1}));
  const Image tall = square_center_crop(coordinates(4, 11));  // top 7 // 2 = 3
  EXPECT_EQ(tall.width, 4);
  EXPECT_EQ(origin(tall), (std::pair{3, 0}));
  // Where the two conventions differ: margin 3 gives 1 here, round(1.5) = 2 in CenterCrop.
  EXPECT_EQ(origin(square_center_crop(coordinates(7, 4))), (std::pair{0, 1}));
  EXPECT_EQ(origin(center_crop(coordinates(7, 4), 4, 4)), (std::pair{0, 2}));
  const Image square = coordinates(6, 6);
  EXPECT_EQ(square_center_crop(square).rgb, square.rgb);
}

TEST(ResizeShorterSide, UsesTorchvisionSizeAndPilBicubic) {
  const Image im = testing::random_image(40, 30, 3);  // w 40, h 30
  const Image out = resize_shorter_side_bicubic_u8(im, 24);
  EXPECT_EQ(out.height, 24);
  EXPECT_EQ(out.width, 32);
  EXPECT_EQ(out.rgb, resize_bicubic_pil_u8(im, 24, 32).rgb);
  // CLIP's Resize(224) + CenterCrop(224) gives a square.
  const Image clip = center_crop(resize_shorter_side_bicubic_u8(im, 20), 20, 20);
  EXPECT_EQ(clip.width, 20);
  EXPECT_EQ(clip.height, 20);
}

}  // namespace
}  // namespace gensweep::io
