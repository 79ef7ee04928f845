// Decoding: every PNG colour type and depth checked pixel-exactly against the samples that were
// encoded (with Pillow's conversion rules written out as closed forms), JPEG within JPEG
// tolerance, and every kind of bad file checked for its reason text.

#include "gensweep/io/decode.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstring>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/io/encode.h"
#include "image_test_util.h"
#include "test_util.h"

#ifdef GENSWEEP_IO_TEST_HAVE_LIBJPEG
#include <jpeglib.h>
#include <cstdio>  // jpeglib.h needs FILE
#endif

namespace gensweep::io {
namespace {

using testing::constant_image;
using testing::crafted_png;
using testing::max_abs_diff;
using testing::mean_abs_diff;
using testing::random_image;
using testing::smooth_image;

std::vector<std::uint16_t> random_samples(std::size_t count, unsigned limit, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::uint16_t> samples(count);
  for (auto& s : samples)
    s = static_cast<std::uint16_t>(rng.below(limit));
  return samples;
}

DecodeOutcome decode_ok(const std::vector<std::uint8_t>& bytes) {
  DecodeOutcome outcome = decode_image(bytes);
  EXPECT_TRUE(outcome.ok) << outcome.reason;
  EXPECT_TRUE(outcome.reason.empty());
  return outcome;
}

// Expected RGB8 from per-pixel samples through a per-pixel rule.
template <typename Rule>
std::vector<std::uint8_t> expected_rgb(const std::vector<std::uint16_t>& samples, int channels,
                                       Rule rule) {
  std::vector<std::uint8_t> rgb;
  for (std::size_t i = 0; i < samples.size(); i += channels) {
    const auto px = rule(&samples[i]);
    rgb.insert(rgb.end(), px.begin(), px.end());
  }
  return rgb;
}

std::array<std::uint8_t, 3> gray(unsigned v) {
  const auto g = static_cast<std::uint8_t>(v);
  return {g, g, g};
}

// ---------------------------------------------------------------------------------------------
// PNG, lossless: exact.

TEST(DecodePng, Rgb8IsExact) {
  const Image image = random_image(37, 23, 1);
  const DecodeOutcome out = decode_ok(encode_png(image));
  EXPECT_EQ(out.image.width, 37);
  EXPECT_EQ(out.image.height, 23);
  EXPECT_EQ(out.image.rgb, image.rgb);
}

TEST(DecodePng, InterlacedRgb8IsExact) {
  PngLayout layout = testing::layout_of(19, 11, PngColor::kRgb, 8, /*interlaced=*/true);
  const auto samples = random_samples(19 * 11 * 3, 256, 2);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb, std::vector<std::uint8_t>(samples.begin(), samples.end()));
}

TEST(DecodePng, RgbaDropsAlphaWithoutCompositing) {
  PngLayout layout = testing::layout_of(16, 9, PngColor::kRgba, 8);
  auto samples = random_samples(16 * 9 * 4, 256, 3);
  samples[3] = 0;  // fully transparent pixel keeps its colour
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb, expected_rgb(samples, 4, [](const std::uint16_t* p) {
              return std::array<std::uint8_t, 3>{std::uint8_t(p[0]), std::uint8_t(p[1]),
                                                 std::uint8_t(p[2])};
            }));
}

TEST(DecodePng, Gray8IsReplicated) {
  PngLayout layout = testing::layout_of(13, 7, PngColor::kGray, 8);
  const auto samples = random_samples(13 * 7, 256, 4);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb,
            expected_rgb(samples, 1, [](const std::uint16_t* p) { return gray(*p); }));
}

TEST(DecodePng, LowBitDepthGrayIsScaledToFullRange) {
  for (int depth : {1, 2, 4}) {
    SCOPED_TRACE(depth);
    PngLayout layout =
        testing::layout_of(11, 5, PngColor::kGray, depth);  // odd width: rows end mid-byte
    const unsigned max = (1u << depth) - 1;
    const auto samples = random_samples(11 * 5, max + 1, 5 + depth);
    const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
    EXPECT_EQ(out.image.rgb, expected_rgb(samples, 1, [max](const std::uint16_t* p) {
                return gray(*p * 255u / max);
              }));
  }
}

TEST(DecodePng, GrayAlphaDropsAlpha) {
  PngLayout layout = testing::layout_of(10, 6, PngColor::kGrayAlpha, 8);
  const auto samples = random_samples(10 * 6 * 2, 256, 6);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb,
            expected_rgb(samples, 2, [](const std::uint16_t* p) { return gray(p[0]); }));
}

TEST(DecodePng, PaletteIsExpanded) {
  for (int depth : {2, 4, 8}) {
    SCOPED_TRACE(depth);
    PngLayout layout = testing::layout_of(9, 7, PngColor::kPalette, depth);
    const unsigned entries = 1u << depth;
    Rng rng(7);
    for (unsigned i = 0; i < entries; ++i)
      layout.palette.push_back({std::uint8_t(rng.below(256)), std::uint8_t(rng.below(256)),
                                std::uint8_t(rng.below(256))});
    const auto samples = random_samples(9 * 7, entries, 8 + depth);
    const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
    EXPECT_EQ(out.image.rgb,
              expected_rgb(samples, 1, [&](const std::uint16_t* p) { return layout.palette[*p]; }));
  }
}

TEST(DecodePng, PaletteIndexPastTheEndIsBlack) {
  PngLayout layout = testing::layout_of(4, 1, PngColor::kPalette, 8);
  layout.palette = {{10, 20, 30}, {40, 50, 60}};
  const std::vector<std::uint16_t> samples = {0, 1, 2, 255};  // 2 and 255 have no entry
  const DecodeOutcome out = decode_image(encode_png_samples(layout, samples));
  ASSERT_TRUE(out.ok) << out.reason;
  EXPECT_EQ(out.image.rgb, (std::vector<std::uint8_t>{10, 20, 30, 40, 50, 60, 0, 0, 0, 0, 0, 0}));
}

// Values around the byte boundary: the high byte and the clip differ exactly there.
const std::vector<std::uint16_t> kBoundary16 = {0,   1,   200,  254,   255,   256,
                                                257, 511, 1000, 32768, 65280, 65535};

TEST(DecodePng, Rgb16KeepsTheHighByte) {
  PngLayout layout = testing::layout_of(4, 3, PngColor::kRgb, 16);
  std::vector<std::uint16_t> samples = kBoundary16;
  samples.resize(4 * 3 * 3, 4660);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb, expected_rgb(samples, 3, [](const std::uint16_t* p) {
              return std::array<std::uint8_t, 3>{std::uint8_t(p[0] >> 8), std::uint8_t(p[1] >> 8),
                                                 std::uint8_t(p[2] >> 8)};
            }));
}

TEST(DecodePng, Rgba16KeepsTheHighByteAndDropsAlpha) {
  PngLayout layout = testing::layout_of(3, 4, PngColor::kRgba, 16);
  std::vector<std::uint16_t> samples = kBoundary16;
  samples.resize(3 * 4 * 4, 300);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb, expected_rgb(samples, 4, [](const std::uint16_t* p) {
              return std::array<std::uint8_t, 3>{std::uint8_t(p[0] >> 8), std::uint8_t(p[1] >> 8),
                                                 std::uint8_t(p[2] >> 8)};
            }));
}

TEST(DecodePng, GrayAlpha16KeepsTheHighByte) {
  PngLayout layout = testing::layout_of(6, 2, PngColor::kGrayAlpha, 16);
  std::vector<std::uint16_t> samples = kBoundary16;
  samples.resize(6 * 2 * 2, 9);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, samples));
  EXPECT_EQ(out.image.rgb,
            expected_rgb(samples, 2, [](const std::uint16_t* p) { return gray(p[0] >> 8u); }));
}

TEST(DecodePng, Gray16ClipsAt255AsPillowDoes) {
  PngLayout layout = testing::layout_of(12, 1, PngColor::kGray, 16);
  const DecodeOutcome out = decode_ok(encode_png_samples(layout, kBoundary16));
  EXPECT_EQ(out.image.rgb, expected_rgb(kBoundary16, 1, [](const std::uint16_t* p) {
              return gray(std::min<unsigned>(*p, 255));
            }));
}

// ---------------------------------------------------------------------------------------------
// JPEG: lossy, compared with what was encoded.

std::vector<std::uint8_t> tj_encode(const std::uint8_t* pixels, int width, int height,
                                    int pixel_format, int subsampling, int quality) {
  tjhandle handle = tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(handle, pixels, width, 0, height, pixel_format, &buffer, &size, subsampling,
                        quality, 0),
            0)
      << tjGetErrorStr2(handle);
  std::vector<std::uint8_t> jpeg(buffer, buffer + size);
  tjFree(buffer);
  tjDestroy(handle);
  return jpeg;
}

int jpeg_colorspace(const std::vector<std::uint8_t>& jpeg) {
  tjhandle handle = tjInitDecompress();
  int w, h, sub, cs = -1;
  tjDecompressHeader3(handle, const_cast<std::uint8_t*>(jpeg.data()), jpeg.size(), &w, &h, &sub,
                      &cs);
  tjDestroy(handle);
  return cs;
}

TEST(DecodeJpeg, RgbMatchesTheEncodedImage) {
  const Image image = smooth_image(64, 48);
  const auto jpeg = encode_jpeg(image, 95);
  EXPECT_EQ(jpeg_colorspace(jpeg), TJCS_YCbCr);
  const DecodeOutcome out = decode_ok(jpeg);
  EXPECT_EQ(out.image.width, 64);
  EXPECT_EQ(out.image.height, 48);
  EXPECT_LE(max_abs_diff(out.image, image), 6);
  EXPECT_LT(mean_abs_diff(out.image, image), 1.0);
}

TEST(DecodeJpeg, GrayIsReplicated) {
  std::vector<std::uint8_t> luma(40 * 30);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x)
      luma[y * 40 + x] = static_cast<std::uint8_t>(6 * x + y);
  const auto jpeg = tj_encode(luma.data(), 40, 30, TJPF_GRAY, TJSAMP_GRAY, 95);
  EXPECT_EQ(jpeg_colorspace(jpeg), TJCS_GRAY);
  const DecodeOutcome out = decode_ok(jpeg);
  ASSERT_EQ(out.image.rgb.size(), luma.size() * 3);
  int worst = 0;
  for (std::size_t i = 0; i < luma.size(); ++i) {
    EXPECT_EQ(out.image.rgb[3 * i], out.image.rgb[3 * i + 1]);
    EXPECT_EQ(out.image.rgb[3 * i], out.image.rgb[3 * i + 2]);
    worst = std::max(worst, std::abs(int(out.image.rgb[3 * i]) - int(luma[i])));
  }
  EXPECT_LE(worst, 8);  // a steep ramp (6 levels per pixel) at quality 95
}

// Pillow's reading of Adobe CMYK: stored samples are inverted, and with C = 255 - stored c,
// K = 255 - stored k, RGB = (255 - C)(255 - K) / 255 = stored_c * stored_k / 255. Flat 8x8 blocks
// at quality 100 come back almost exactly, so the tolerance is tight.
struct CmykCase {
  std::array<std::uint8_t, 4> stored;
};
const std::vector<std::array<std::uint8_t, 4>> kCmykBlocks = {
    {200, 100, 50, 255}, {255, 255, 255, 255}, {0, 0, 0, 255},    {255, 128, 0, 128},
    {90, 180, 240, 200}, {255, 255, 255, 0},   {30, 60, 120, 64}, {128, 128, 128, 128}};

std::vector<std::uint8_t> cmyk_blocks_image() {
  // 8 blocks of 16x16 in a row (16: whole MCUs whatever the subsampling).
  std::vector<std::uint8_t> cmyk(128 * 16 * 4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 128; ++x)
      std::memcpy(&cmyk[(y * 128 + x) * 4], kCmykBlocks[x / 16].data(), 4);
  return cmyk;
}

void expect_cmyk_blocks(const Image& image) {
  ASSERT_EQ(image.width, 128);
  ASSERT_EQ(image.height, 16);
  for (int block = 0; block < 8; ++block) {
    const auto& s = kCmykBlocks[block];
    for (int c = 0; c < 3; ++c) {
      const double expected = s[c] * s[3] / 255.0;
      const int got = image.rgb[(8 * 128 + block * 16 + 8) * 3 + c];  // block centre
      EXPECT_NEAR(got, expected, 2.0) << "block " << block << " channel " << c;
    }
  }
}

TEST(DecodeJpeg, YcckIsConvertedLikePillow) {
  const auto cmyk = cmyk_blocks_image();
  const auto jpeg = tj_encode(cmyk.data(), 128, 16, TJPF_CMYK, TJSAMP_444, 100);
  EXPECT_EQ(jpeg_colorspace(jpeg), TJCS_YCCK);
  expect_cmyk_blocks(decode_ok(jpeg).image);
}

#ifdef GENSWEEP_IO_TEST_HAVE_LIBJPEG
TEST(DecodeJpeg, PlainCmykIsConvertedLikePillow) {
  const auto cmyk = cmyk_blocks_image();
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = 128;
  cinfo.image_height = 16;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, JCS_CMYK);  // no YCCK transform; libjpeg writes the Adobe marker
  jpeg_set_quality(&cinfo, 100, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(&cmyk[cinfo.next_scanline * 128 * 4]);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<std::uint8_t> jpeg(buffer, buffer + size);
  std::free(buffer);
  EXPECT_EQ(jpeg_colorspace(jpeg), TJCS_CMYK);
  expect_cmyk_blocks(decode_ok(jpeg).image);
}

// What Pillow gets: libjpeg's defaults (ISLOW DCT, fancy upsampling), RGB out for colour files,
// gray out (then replicated by convert('RGB')) for grayscale ones.
Image libjpeg_default_decode(const std::vector<std::uint8_t>& jpeg) {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg.data(), jpeg.size());
  jpeg_read_header(&cinfo, TRUE);
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  Image image{int(cinfo.output_width), int(cinfo.output_height), {}};
  std::vector<std::uint8_t> row(cinfo.output_width * cinfo.output_components);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row.data()};
    jpeg_read_scanlines(&cinfo, rows, 1);
    for (unsigned x = 0; x < cinfo.output_width; ++x)
      for (int c = 0; c < 3; ++c)
        image.rgb.push_back(row[gray ? x : 3 * x + c]);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return image;
}

TEST(DecodeJpeg, BitExactWithLibjpegDefaults) {
  const Image noisy = random_image(37, 23, 16);  // odd size: partial MCUs, edge upsampling
  std::vector<std::uint8_t> luma(noisy.rgb.begin(), noisy.rgb.begin() + 37 * 23);
  const std::vector<std::vector<std::uint8_t>> files = {
      encode_jpeg(smooth_image(64, 48), 75),
      encode_jpeg(noisy, 90),
      tj_encode(noisy.rgb.data(), 37, 23, TJPF_RGB, TJSAMP_444, 85),
      tj_encode(noisy.rgb.data(), 37, 23, TJPF_RGB, TJSAMP_422, 85),
      tj_encode(noisy.rgb.data(), 37, 23, TJPF_RGB, TJSAMP_440, 85),
      tj_encode(luma.data(), 37, 23, TJPF_GRAY, TJSAMP_GRAY, 85)};
  for (std::size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(i);
    const DecodeOutcome out = decode_ok(files[i]);
    const Image reference = libjpeg_default_decode(files[i]);
    EXPECT_EQ(out.image.width, reference.width);
    EXPECT_EQ(out.image.height, reference.height);
    EXPECT_EQ(out.image.rgb, reference.rgb);
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// Bad content: ok = false with a precise reason, never an exception.

DecodeOutcome decode_bad(std::span<const std::uint8_t> bytes, const DecodeLimits& limits = {}) {
  DecodeOutcome outcome;
  EXPECT_NO_THROW(outcome = decode_image(bytes, limits));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.image.width, 0);
  EXPECT_TRUE(outcome.image.rgb.empty());
  return outcome;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(DecodeBad, EmptyFile) {
  EXPECT_EQ(decode_bad({}).reason, "empty file");
}

TEST(DecodeBad, TextFileNamedPng) {
  gensweep::testing::TempDir dir;
  gensweep::testing::write_text(dir / "notes.png", "hello world, not a picture\n");
  EXPECT_EQ(decode_bad(read_file_bytes(dir / "notes.png")).reason,
            "not an image (unknown signature 0x68656c6c6f20776f)");
}

TEST(DecodeBad, OtherImageFormatsAreNamed) {
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  EXPECT_EQ(
      decode_bad(std::span(reinterpret_cast<const std::uint8_t*>(gif.data()), gif.size())).reason,
      "unsupported image format GIF (only PNG and JPEG are decoded)");
}

TEST(DecodeBad, CorruptPngData) {
  auto png = encode_png(random_image(20, 20, 9));
  const std::size_t idat = testing::find_png_chunk(png, "IDAT");
  ASSERT_NE(idat, std::string::npos);
  png[idat + 8 + 10] ^= 0x5a;  // a byte inside the compressed data
  const std::string reason = decode_bad(png).reason;
  EXPECT_TRUE(starts_with(reason, "corrupt PNG: ")) << reason;
}

TEST(DecodeBad, CorruptPngChecksum) {
  auto png = encode_png(random_image(20, 20, 9));
  png[30] ^= 0x01;  // inside IHDR's CRC (bytes 29-32)
  const std::string reason = decode_bad(png).reason;
  EXPECT_TRUE(starts_with(reason, "corrupt PNG: ")) << reason;
  EXPECT_NE(reason.find("checksum"), std::string::npos) << reason;
}

TEST(DecodeBad, CorruptPngHeader) {
  auto png = encode_png(random_image(20, 20, 9));
  png[16 + 8] = 7;  // IHDR bit depth 7 (CRC fixed up: the field itself is invalid)
  const std::uint32_t crc = testing::png_crc32(std::span(png).subspan(12, 17));
  for (int i = 0; i < 4; ++i)
    png[29 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  const std::string reason = decode_bad(png).reason;
  EXPECT_TRUE(starts_with(reason, "corrupt PNG: ")) << reason;
  EXPECT_NE(reason.find("bit depth"), std::string::npos) << reason;
}

TEST(DecodeBad, TruncatedPng) {
  const auto png = encode_png(random_image(40, 40, 10));
  const std::size_t idat = testing::find_png_chunk(png, "IDAT");
  ASSERT_NE(idat, std::string::npos);
  // Inside the signature, inside IHDR, just after IHDR, inside the image data.
  for (std::size_t keep : {std::size_t{5}, std::size_t{20}, idat, idat + 100, png.size() / 2}) {
    SCOPED_TRACE(keep);
    const std::string reason = decode_bad(std::span(png).first(keep)).reason;
    EXPECT_TRUE(starts_with(reason, "truncated PNG: ")) << reason;
  }
}

TEST(DecodePng, MissingIendStillDecodes) {
  // Pillow stops reading at the end of the image data and tolerates a missing IEND; so do we.
  const Image image = random_image(40, 40, 10);
  const auto png = encode_png(image);
  const DecodeOutcome out = decode_image(std::span(png).first(png.size() - 12));
  ASSERT_TRUE(out.ok) << out.reason;
  EXPECT_EQ(out.image.rgb, image.rgb);
}

TEST(DecodePng, BadIdatChecksumAloneIsToleratedLikePillow) {
  const Image image = random_image(20, 20, 15);
  auto png = encode_png(image);
  const std::size_t idat = testing::find_png_chunk(png, "IDAT");
  ASSERT_NE(idat, std::string::npos);
  const std::size_t length = (std::size_t(png[idat + 2]) << 8) | png[idat + 3];  // < 64 KiB here
  png[idat + 8 + length] ^= 1;  // first byte of the IDAT CRC; the data itself is intact
  const DecodeOutcome out = decode_image(png);
  ASSERT_TRUE(out.ok) << out.reason;
  EXPECT_EQ(out.image.rgb, image.rgb);
}

TEST(DecodeBad, TruncatedJpeg) {
  const auto jpeg = encode_jpeg(smooth_image(64, 64), 90);
  for (std::size_t keep : {std::size_t{2}, std::size_t{100}, jpeg.size() / 2, jpeg.size() - 10}) {
    SCOPED_TRACE(keep);
    const std::string reason = decode_bad(std::span(jpeg).first(keep)).reason;
    EXPECT_TRUE(starts_with(reason, "truncated JPEG: ")) << reason;
  }
}

TEST(DecodeBad, CorruptJpeg) {
  auto jpeg = encode_jpeg(smooth_image(32, 32), 90);
  const std::size_t sof = testing::find_jpeg_marker(jpeg, 0xc0);
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 2] = 0;  // SOF segment length 3: shorter than its own fixed fields
  jpeg[sof + 3] = 3;
  const std::string reason = decode_bad(jpeg).reason;
  EXPECT_TRUE(starts_with(reason, "corrupt JPEG: ")) << reason;
}

TEST(DecodeBad, UnsupportedJpeg) {
  auto jpeg = encode_jpeg(smooth_image(32, 32), 90);
  const std::size_t sof = testing::find_jpeg_marker(jpeg, 0xc0);
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 4] = 12;  // claims 12-bit samples: valid JPEG, not decodable by 8-bit libjpeg-turbo
  EXPECT_EQ(decode_bad(jpeg).reason, "unsupported JPEG: Unsupported JPEG data precision 12");
}

TEST(DecodeBad, GoodJpegAfterBadOnes) {
  // Failures must not leave the per-thread decoder in a state that breaks the next image.
  // The pixels a decoder in a fresh state gives are the reference: after failures the same bits.
  const Image image = smooth_image(32, 32);
  const auto good = encode_jpeg(image, 90);
  const DecodeOutcome fresh = decode_image(good);
  ASSERT_TRUE(fresh.ok) << fresh.reason;
  for (std::size_t keep : {std::size_t{50}, good.size() / 2}) {
    EXPECT_FALSE(decode_image(std::span(good).first(keep)).ok);
    const DecodeOutcome out = decode_image(good);
    ASSERT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(out.image.rgb, fresh.image.rgb);
  }
}

TEST(DecodeBad, PngOverThePixelLimitIsRejectedFromItsHeader) {
  // Only a signature and an IHDR: had the decoder gone past the header (allocating 2.7 GB and
  // reading image data) it would have reported truncation instead.
  const auto png = crafted_png(30000, 30000, 8, 2);
  EXPECT_EQ(decode_bad(png).reason,
            "declared size 30000x30000 = 900000000 px exceeds max_pixels 178956970");
}

TEST(DecodeBad, JpegOverThePixelLimitIsRejectedFromItsHeader) {
  auto jpeg = encode_jpeg(smooth_image(16, 16), 90);
  const std::size_t sof = testing::find_jpeg_marker(jpeg, 0xc0);
  ASSERT_NE(sof, std::string::npos);
  for (std::size_t at : {sof + 5, sof + 7}) {  // height, width: 0x7530 = 30000
    jpeg[at] = 0x75;
    jpeg[at + 1] = 0x30;
  }
  EXPECT_EQ(decode_bad(jpeg).reason,
            "declared size 30000x30000 = 900000000 px exceeds max_pixels 178956970");
}

TEST(DecodeLimitsTest, LimitIsConfigurableAndInclusive) {
  const auto png = encode_png(random_image(20, 10, 11));
  EXPECT_EQ(decode_bad(png, DecodeLimits{199}).reason,
            "declared size 20x10 = 200 px exceeds max_pixels 199");
  EXPECT_TRUE(decode_image(png, DecodeLimits{200}).ok);  // exactly at the limit is allowed
  EXPECT_TRUE(decode_image(png, DecodeLimits{0}).ok);    // <= 0: no limit
}

TEST(DecodeImageInto, ReusesTheCallersBuffer) {
  Image out;
  std::string reason;
  const Image big = random_image(30, 30, 12), small = random_image(5, 4, 13);
  ASSERT_TRUE(decode_image_into(encode_png(big), {}, out, reason)) << reason;
  const std::size_t capacity = out.rgb.capacity();
  ASSERT_TRUE(decode_image_into(encode_png(small), {}, out, reason)) << reason;
  EXPECT_EQ(out.rgb, small.rgb);
  EXPECT_EQ(out.rgb.capacity(), capacity);
}

TEST(ReadFileBytes, ReadsWholeFileAndNamesMissingPath) {
  gensweep::testing::TempDir dir;
  const auto png = encode_png(random_image(50, 50, 14));
  testing::write_bytes(dir / "a.png", png);
  EXPECT_EQ(read_file_bytes(dir / "a.png"), png);
  EXPECT_THROW_WITH(read_file_bytes(dir / "missing.png"), IoError,
                    "cannot open '" + (dir / "missing.png").string() + "'");
  EXPECT_THROW_WITH(read_file_bytes(dir.path()), IoError, "is a directory");
}

}  // namespace
}  // namespace gensweep::io
