// torch-fidelity's and clean-fid's preprocessing against their golden tensors
// (../shared/golden/cifar10_surrogate_inception/data.h5), on CIFAR-10 test images 0000-0002:
// - preproc_torch_fidelity_first3_NCHW: uint8 -> float32, interpolate_bilinear_2d_like_
//   tensorflow1x to 299x299 (TF1 bilinear, align_corners=False), then (x - 128) / 128;
// - preproc_clean_fid_resized_first3_NHWC_0_255: each channel as a PIL 'F' image, bicubic to
//   299x299, numpy clip(0, 255), no quantization;
// - preproc_clean_fid_normalized_first3_NCHW: the same, then (x - 128) / 128.
// Tolerance: bit-exact. Both kernels follow the reference's float operation order, so a
// difference is a bug, not round-off; the maximum absolute error is printed either way.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "gensweep/io/decode.h"
#include "gensweep/io/float_image.h"
#include "gensweep/io/normalize.h"
#include "gensweep/io/pil_resize.h"
#include "gensweep/io/resize.h"
#include "h5_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

constexpr const char* kGolden = "golden/cifar10_surrogate_inception/data.h5";
constexpr int kSize = 299;
constexpr std::size_t kPerImage = 3 * kSize * kSize;

testing::GoldenTensor golden(const char* name) {
  return testing::read_float_dataset((gensweep::testing::shared_dir() / kGolden).string(), name);
}

// CIFAR-10 test image n as 0..255 float CHW (torch's uint8 -> float32 cast).
FloatImage cifar_bytes(int n) {
  char name[64];
  std::snprintf(name, sizeof name, "data/cifar10-test-846/%04d.png", n);
  const DecodeOutcome decoded =
      decode_image(read_file_bytes(gensweep::testing::shared_dir() / name));
  EXPECT_TRUE(decoded.ok) << decoded.reason;
  EXPECT_EQ(decoded.image.width, 32);
  return to_float_chw(decoded.image, 1.0f, 0.0f);
}

struct Comparison {
  double max_abs_error = 0;
  std::size_t differing = 0;
  void add(float got, float expected) {
    max_abs_error = std::max(max_abs_error, std::fabs(double(got) - double(expected)));
    differing += !(got == expected);  // also counts NaN
  }
  void report(const char* what, std::size_t total) const {
    std::printf("%s: max abs error %.3g, %zu of %zu values differ\n", what, max_abs_error,
                differing, total);
    ::testing::Test::RecordProperty(std::string(what) + "_max_abs_error",
                                    std::to_string(max_abs_error));
  }
};

#define GENSWEEP_REQUIRE_GOLDEN_INPUTS() \
  GENSWEEP_REQUIRE_SHARED(kGolden);      \
  GENSWEEP_REQUIRE_SHARED("data/cifar10-test-846/0002.png")

TEST(TorchFidelityPreprocessing, Tf1BilinearMatchesGoldenTensorsBitExactly) {
  GENSWEEP_REQUIRE_GOLDEN_INPUTS();
  const testing::GoldenTensor g = golden("preproc_torch_fidelity_first3_NCHW");
  ASSERT_EQ(g.dims, (std::vector<hsize_t>{3, 3, kSize, kSize}));
  Comparison cmp;
  for (int n = 0; n < 3; ++n) {
    FloatImage x = resize_bilinear_tf1(cifar_bytes(n), kSize, kSize);
    normalize_in_place(x, {128, 128, 128}, {128, 128, 128});  // (x - 128) / 128
    ASSERT_EQ(x.data.size(), kPerImage);
    for (std::size_t i = 0; i < kPerImage; ++i)
      cmp.add(x.data[i], g.data[n * kPerImage + i]);
  }
  cmp.report("torch-fidelity TF1 bilinear", g.data.size());
  EXPECT_EQ(cmp.differing, 0u);
  EXPECT_EQ(cmp.max_abs_error, 0.0);
}

TEST(CleanFidPreprocessing, PilFloatBicubicMatchesGoldenTensorsBitExactly) {
  GENSWEEP_REQUIRE_GOLDEN_INPUTS();
  const testing::GoldenTensor resized = golden("preproc_clean_fid_resized_first3_NHWC_0_255");
  const testing::GoldenTensor normalized = golden("preproc_clean_fid_normalized_first3_NCHW");
  ASSERT_EQ(resized.dims, (std::vector<hsize_t>{3, kSize, kSize, 3}));
  ASSERT_EQ(normalized.dims, (std::vector<hsize_t>{3, 3, kSize, kSize}));
  Comparison cmp_resized, cmp_normalized;
  for (int n = 0; n < 3; ++n) {
    FloatImage x = resize_bicubic_pil_float(cifar_bytes(n), kSize, kSize);
    clip_in_place(x, 0.0f, 255.0f);
    ASSERT_EQ(x.data.size(), kPerImage);
    for (int c = 0; c < 3; ++c)  // golden is NHWC, ours CHW
      for (int y = 0; y < kSize; ++y)
        for (int xx = 0; xx < kSize; ++xx)
          cmp_resized.add(x.data[(std::size_t(c) * kSize + y) * kSize + xx],
                          resized.data[n * kPerImage + (std::size_t(y) * kSize + xx) * 3 + c]);
    normalize_in_place(x, {128, 128, 128}, {128, 128, 128});
    for (std::size_t i = 0; i < kPerImage; ++i)
      cmp_normalized.add(x.data[i], normalized.data[n * kPerImage + i]);
  }
  cmp_resized.report("clean-fid PIL float bicubic (0..255)", resized.data.size());
  cmp_normalized.report("clean-fid normalized", normalized.data.size());
  EXPECT_EQ(cmp_resized.differing, 0u);
  EXPECT_EQ(cmp_normalized.differing, 0u);
}

}  // namespace
}  // namespace gensweep::io
