// Encoders: valid output for valid input, exact error text for invalid input.

#include "gensweep/io/encode.h"

#include <gtest/gtest.h>

#include "gensweep/core/error.h"
#include "gensweep/io/decode.h"
#include "image_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

TEST(EncodePng, WritesAPngThatRoundTrips) {
  const Image image = testing::random_image(8, 3, 21);
  const auto png = encode_png(image);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  EXPECT_EQ(decode_image(png).image.rgb, image.rgb);
}

TEST(EncodePng, RejectsInconsistentImages) {
  Image image{4, 4, std::vector<std::uint8_t>(10)};
  EXPECT_THROW_WITH(encode_png(image), IoError, "encode_png: image 4x4 has 10 bytes");
  EXPECT_THROW_WITH(encode_png(Image{}), IoError, "encode_png: image 0x0 has 0 bytes");
}

TEST(EncodePngSamples, ValidatesLayoutAndSamples) {
  const std::vector<std::uint16_t> four(4, 1);
  EXPECT_THROW_WITH(encode_png_samples(testing::layout_of(2, 2, PngColor::kRgb, 4), four), IoError,
                    "bit depth 4 is not allowed for PNG colour type 2");
  EXPECT_THROW_WITH(encode_png_samples(testing::layout_of(2, 2, PngColor::kGray, 8),
                                       std::vector<std::uint16_t>(3)),
                    IoError, "3 samples, expected 4");
  EXPECT_THROW_WITH(encode_png_samples(testing::layout_of(2, 2, PngColor::kGray, 2),
                                       std::vector<std::uint16_t>(4, 4)),
                    IoError, "sample 4 does not fit in 2 bits");
  EXPECT_THROW_WITH(encode_png_samples(testing::layout_of(2, 2, PngColor::kPalette, 8), four),
                    IoError, "palette has 0 entries");
}

TEST(EncodeJpeg, QualityControlsSizeAndIsChecked) {
  const Image image = testing::random_image(64, 64, 22);
  EXPECT_LT(encode_jpeg(image, 10).size(), encode_jpeg(image, 95).size());
  EXPECT_THROW_WITH(encode_jpeg(image, 0), IoError, "quality must be in 1..100, got 0");
  EXPECT_THROW_WITH(encode_jpeg(image, 101), IoError, "quality must be in 1..100, got 101");
}

TEST(EncodeJpeg, UsesFourTwoZeroSubsampling) {
  // SOF0 component sampling factors: Y 2x2, Cb 1x1, Cr 1x1.
  const auto jpeg = encode_jpeg(testing::smooth_image(32, 32), 75);
  std::size_t sof = 0;
  while (sof + 1 < jpeg.size() && !(jpeg[sof] == 0xff && jpeg[sof + 1] == 0xc0))
    ++sof;
  ASSERT_LT(sof + 18, jpeg.size());
  EXPECT_EQ(jpeg[sof + 9], 3);      // components
  EXPECT_EQ(jpeg[sof + 11], 0x22);  // Y
  EXPECT_EQ(jpeg[sof + 14], 0x11);  // Cb
  EXPECT_EQ(jpeg[sof + 17], 0x11);  // Cr
}

}  // namespace
}  // namespace gensweep::io
