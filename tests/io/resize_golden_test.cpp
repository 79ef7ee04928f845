// pytorch-fid's preprocessing against its golden tensors (../shared/golden/cifar10_surrogate_
// inception/data.h5, dataset preproc_pytorch_fid_first3_NCHW): CIFAR-10 test images 0000-0002,
// ToTensor (/255), F.interpolate to 299x299 (bilinear, align_corners=False), then 2x - 1.
// Tolerance: bit-exact. The implementation follows PyTorch's float32 operation order, so any
// difference is a bug, not round-off; the maximum absolute error is printed either way.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>

#include "gensweep/io/decode.h"
#include "gensweep/io/float_image.h"
#include "gensweep/io/resize.h"
#include "h5_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

constexpr const char* kGolden = "golden/cifar10_surrogate_inception/data.h5";

TEST(PytorchFidPreprocessing, MatchesGoldenTensorsBitExactly) {
  GENSWEEP_REQUIRE_SHARED(kGolden);
  GENSWEEP_REQUIRE_SHARED("data/cifar10-test-846/0002.png");
  const io::testing::GoldenTensor tensor = io::testing::read_float_dataset(
      (gensweep::testing::shared_dir() / kGolden).string(), "preproc_pytorch_fid_first3_NCHW");
  ASSERT_EQ(tensor.dims, (std::vector<hsize_t>{3, 3, 299, 299}));
  const std::vector<float>& golden = tensor.data;
  ASSERT_EQ(golden.size(), 3u * 3 * 299 * 299);

  const std::size_t per_image = 3 * 299 * 299;
  double max_abs_error = 0;
  std::size_t differing = 0;
  for (int n = 0; n < 3; ++n) {
    char name[64];
    std::snprintf(name, sizeof name, "data/cifar10-test-846/%04d.png", n);
    const DecodeOutcome decoded =
        decode_image(read_file_bytes(gensweep::testing::shared_dir() / name));
    ASSERT_TRUE(decoded.ok) << decoded.reason;
    ASSERT_EQ(decoded.image.width, 32);
    FloatImage x = resize_bilinear_torch(to_float_chw(decoded.image), 299, 299);
    affine_in_place(x, 2.0f, -1.0f);
    ASSERT_EQ(x.data.size(), per_image);
    for (std::size_t i = 0; i < per_image; ++i) {
      const float expected = golden[n * per_image + i];
      max_abs_error = std::max(max_abs_error, std::fabs(double(x.data[i]) - double(expected)));
      differing += x.data[i] != expected;
    }
  }
  std::printf("pytorch-fid preprocessing: max abs error %.3g, %zu of %zu values differ\n",
              max_abs_error, differing, golden.size());
  RecordProperty("max_abs_error", std::to_string(max_abs_error));
  EXPECT_EQ(differing, 0u);
  EXPECT_EQ(max_abs_error, 0.0);
}

}  // namespace
}  // namespace gensweep::io
