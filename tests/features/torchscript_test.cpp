// The torchscript kind. Modules are built and saved from C++ (torch::jit::Module::define), so the
// tests need neither Python nor downloads; their outputs are closed forms of the preprocessed
// input, and the preprocessing itself is checked against the io kernels it is declared with.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <fstream>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/features/backbone.h"
#include "gensweep/io/geometry.h"
#include "gensweep/io/normalize.h"
#include "gensweep/io/pil_resize.h"
#include "gensweep/io/resize.h"
#include "test_util.h"
#include "torchscript_backbone.h"

namespace gensweep::features {
namespace {

using testing::TempDir;
using Resize = TorchscriptOptions::Resize;
using Crop = TorchscriptOptions::Crop;
using Range = TorchscriptOptions::Range;

io::Image pattern(int w, int h, int salt = 0) {
  io::Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<std::size_t>(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.rgb[(y * w + x) * 3 + c] =
            static_cast<std::uint8_t>((x * 37 + y * 91 + c * 50 + (x * y) % 7 * 20 + salt) % 256);
  return img;
}

io::Image constant(int w, int h, std::array<std::uint8_t, 3> rgb) {
  io::Image img;
  img.width = w;
  img.height = h;
  for (int i = 0; i < w * h; ++i)
    img.rgb.insert(img.rgb.end(), rgb.begin(), rgb.end());
  return img;
}

std::filesystem::path save_module(const std::filesystem::path& path, const std::string& source,
                                  bool with_weights = false) {
  torch::jit::Module m("M");
  if (with_weights) {
    // W = [[1, 0, 0], [0, 2, 0], [1, 1, 1], [0, 0, -1]], b = [0, 0, 0, 10]: integer results.
    m.register_parameter(
        "W",
        torch::tensor({1.f, 0.f, 0.f, 0.f, 2.f, 0.f, 1.f, 1.f, 1.f, 0.f, 0.f, -1.f}).view({4, 3}),
        false);
    m.register_parameter("b", torch::tensor({0.f, 0.f, 0.f, 10.f}), false);
  }
  m.define(source);
  m.save(path.string());
  return path;
}

const char* kFlatten = R"(
def forward(self, x: Tensor) -> Tensor:
    return x.flatten(1)
)";
// NVIDIA's inception-2015-12-05.pt has this signature: return_features selects the embedding.
const char* kChannelMean = R"(
def forward(self, x: Tensor, return_features: bool = False) -> Tensor:
    f = x.mean(dim=[2, 3])
    if return_features:
        return f
    return torch.matmul(f, self.W.t()) + self.b
)";
const char* kDict = R"(
def forward(self, x: Tensor) -> Dict[str, Tensor]:
    return {"embedding": x.mean(dim=[2, 3]) * 2.0, "logits": x.flatten(1)}
)";
const char* kTuple = R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    return (x.flatten(1), x.mean(dim=[2, 3]) - 1.0)
)";
const char* kScalar = R"(
def forward(self, x: Tensor) -> Tensor:
    return x.mean()
)";

std::vector<float> features_of(Backbone& net, const std::vector<io::Image>& images) {
  const auto& info = net.info();
  std::vector<float> inputs(images.size() * info.input_size), out(images.size() * info.dim);
  for (std::size_t i = 0; i < images.size(); ++i)
    net.preprocess(images[i], inputs.data() + i * info.input_size);
  net.forward(inputs.data(), static_cast<std::int64_t>(images.size()), out.data());
  return out;
}

TorchscriptOptions small(const std::filesystem::path& weights) {
  TorchscriptOptions o;
  o.weights = weights;
  o.input_size = 4;
  o.resize = Resize::kArea;
  o.input_range = Range::kByte;
  return o;
}

// --- preprocessing compositions, against the io kernels directly ---------------------------------

void expect_same(const io::FloatImage& got, const io::FloatImage& want) {
  ASSERT_EQ(got.channels, want.channels);
  ASSERT_EQ(got.height, want.height);
  ASSERT_EQ(got.width, want.width);
  for (std::size_t i = 0; i < want.data.size(); ++i)
    ASSERT_EQ(got.data[i], want.data[i]) << "at " << i;  // bit-exact, not approximately
}

TEST(TorchscriptPreprocess, CleanFidIsPilFloatBicubicOnBytesClippedNotQuantized) {
  TorchscriptOptions o;
  o.input_size = 16;
  o.resize = Resize::kPilBicubic;
  o.input_range = Range::kByte;
  const io::Image img = pattern(23, 13);
  io::FloatImage want = io::resize_bicubic_pil_float(io::to_float_chw(img, 1.0f), 16, 16);
  io::clip_in_place(want, 0.0f, 255.0f);
  const io::FloatImage got = torchscript_preprocess(o, img);
  expect_same(got, want);
  bool fractional = false;  // not quantized: some values are not integers
  for (float v : got.data)
    fractional |= v != std::floor(v);
  EXPECT_TRUE(fractional);
}

TEST(TorchscriptPreprocess, ClipIsShorterSidePil8BitThenCenterCropThenClipStats) {
  TorchscriptOptions o;
  o.input_size = 8;
  o.resize = Resize::kPilBicubicU8;
  o.crop = Crop::kShorterSide;
  o.mean = io::kClipStats.mean;
  o.std = io::kClipStats.std;
  for (const auto& img : {pattern(21, 13), pattern(9, 30), pattern(8, 8)}) {
    const io::FloatImage want =
        io::to_normalized_float(io::center_crop(io::resize_shorter_side_bicubic_u8(img, 8), 8, 8),
                                io::ValueRange::kUnit, io::kClipStats);
    expect_same(torchscript_preprocess(o, img), want);
  }
}

TEST(TorchscriptPreprocess, DinoV2IsPil8BitSquashThenImageNetStats) {
  TorchscriptOptions o;
  o.input_size = 14;
  o.resize = Resize::kPilBicubicU8;
  o.mean = io::kImageNetStats.mean;
  o.std = io::kImageNetStats.std;
  const io::Image img = pattern(31, 17);
  expect_same(torchscript_preprocess(o, img),
              io::to_normalized_float(io::resize_bicubic_pil_u8(img, 14, 14), io::ValueRange::kUnit,
                                      io::kImageNetStats));
}

TEST(TorchscriptPreprocess, CmmdIsSquareCropThenPil8Bit) {
  TorchscriptOptions o;
  o.input_size = 12;
  o.resize = Resize::kPilBicubicU8;
  o.crop = Crop::kCenter;
  o.mean = io::kClipStats.mean;
  o.std = io::kClipStats.std;
  const io::Image img = pattern(27, 16);
  expect_same(
      torchscript_preprocess(o, img),
      io::to_normalized_float(io::resize_bicubic_pil_u8(io::square_center_crop(img), 12, 12),
                              io::ValueRange::kUnit, io::kClipStats));
}

TEST(TorchscriptPreprocess, TorchFidelityIsTf1BilinearOnBytesWithStatsTimes255) {
  TorchscriptOptions o;
  o.input_size = 10;
  o.resize = Resize::kTf1Bilinear;
  o.input_range = Range::kByte;
  for (int c = 0; c < 3; ++c) {
    o.mean[c] = 255 * io::kImageNetStats.mean[c];
    o.std[c] = 255 * io::kImageNetStats.std[c];
  }
  const io::Image img = pattern(7, 5);
  io::FloatImage want = io::resize_bilinear_tf1(io::to_float_chw(img, 1.0f), 10, 10);
  const io::Normalization n = io::normalization_for(io::kImageNetStats, io::ValueRange::kByte);
  io::normalize_in_place(want, n.mean, n.std);
  expect_same(torchscript_preprocess(o, img), want);
}

TEST(TorchscriptPreprocess, PytorchBilinearResizesUnitValues) {
  TorchscriptOptions o;
  o.input_size = 9;
  o.resize = Resize::kPytorchBilinear;
  const io::Image img = pattern(5, 6);
  expect_same(torchscript_preprocess(o, img),
              io::resize_bilinear_torch(io::to_float_chw(img), 9, 9));
}

TEST(TorchscriptPreprocess, NoResizeIsRawBytesAndNeedsTheDeclaredSize) {
  TorchscriptOptions o;
  o.input_size = 6;
  o.resize = Resize::kNone;
  o.input_range = Range::kByte;
  const io::Image img = pattern(6, 6);
  expect_same(torchscript_preprocess(o, img), io::to_float_chw(img, 1.0f));
  EXPECT_THROW_WITH(torchscript_preprocess(o, pattern(7, 6)), BackboneError,
                    "must be input_size x input_size = 6x6; got a 7x6 (width x height) image");
}

TEST(TorchscriptPreprocess, ShorterSideWithAFloatFilterCropsLikeTorchvision) {
  // 10 wide, 7 high -> shorter side 4: 4 x int(4 * 10 / 7) = 4 x 5; the 1-column margin puts
  // round(0.5) = 0 columns left (Python rounds halves to even).
  TorchscriptOptions o;
  o.input_size = 4;
  o.resize = Resize::kArea;
  o.crop = Crop::kShorterSide;
  const io::Image img = pattern(10, 7);
  const io::FloatImage full = io::resize_area(io::to_float_chw(img), 4, 5);
  io::FloatImage want;
  want.height = want.width = 4;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        want.data.push_back(full.data[(c * 4 + y) * 5 + x]);
  expect_same(torchscript_preprocess(o, img), want);
}

// --- the backbone --------------------------------------------------------------------------------

TEST(Torchscript, FeaturesAreTheModuleOfThePreprocessedBatch) {
  TempDir dir;
  TorchscriptOptions o;
  o.weights = save_module(dir / "flatten.pt", kFlatten);
  o.input_size = 5;
  o.resize = Resize::kPilBicubicU8;
  o.mean = io::kClipStats.mean;
  o.std = io::kClipStats.std;
  auto net = make_backbone("flat", o, {});
  EXPECT_EQ(net->info().kind, "torchscript");
  EXPECT_EQ(net->info().dim, 75);  // discovered by the probe pass
  EXPECT_EQ(net->info().input_size, 75);
  EXPECT_EQ(net->info().device, "cpu");
  const std::vector<io::Image> images = {pattern(11, 9), pattern(6, 13, 5)};
  const std::vector<float> got = features_of(*net, images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const io::FloatImage want = torchscript_preprocess(o, images[i]);
    for (std::size_t j = 0; j < want.data.size(); ++j)
      ASSERT_EQ(got[i * 75 + j], want.data[j]);
  }
}

TEST(Torchscript, ForwardArgsByKeywordAndByPosition) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "inception.pt", kChannelMean, true));
  const std::vector<io::Image> images = {constant(7, 5, {3, 100, 250}), constant(4, 4, {0, 8, 1})};

  auto logits = make_backbone("logits", o, {});  // W f + b
  EXPECT_EQ(features_of(*logits, images), (std::vector<float>{3, 200, 353, -240, 0, 16, 9, 9}));

  o.forward_args = {{"return_features", true}};
  auto by_name = make_backbone("feat", o, {});
  EXPECT_EQ(by_name->info().dim, 3);
  EXPECT_EQ(features_of(*by_name, images), (std::vector<float>{3, 100, 250, 0, 8, 1}));
  EXPECT_NE(by_name->info().preprocessing.find("forward(x, return_features=True)"),
            std::string::npos)
      << by_name->info().preprocessing;

  o.forward_args = {{"", true}};
  auto by_position = make_backbone("feat", o, {});
  EXPECT_EQ(features_of(*by_position, images), (std::vector<float>{3, 100, 250, 0, 8, 1}));
  EXPECT_NE(by_name->info().identity, by_position->info().identity);
}

TEST(Torchscript, DictAndTupleOutputsBySelector) {
  TempDir dir;
  const std::vector<io::Image> images = {constant(5, 5, {1, 2, 3})};
  TorchscriptOptions o = small(save_module(dir / "dict.pt", kDict));
  o.output = "embedding";
  EXPECT_EQ(features_of(*make_backbone("d", o, {}), images), (std::vector<float>{2, 4, 6}));
  o.output = "nope";
  EXPECT_THROW_WITH(make_backbone("d", o, {}), BackboneError,
                    "returns a dict with keys \"embedding\", \"logits\"; it has no \"nope\"");
  o.output = "";
  EXPECT_THROW_WITH(make_backbone("d", o, {}), BackboneError, "no output key was declared");

  o = small(save_module(dir / "tuple.pt", kTuple));
  o.output = "1";
  EXPECT_EQ(features_of(*make_backbone("t", o, {}), images), (std::vector<float>{0, 1, 2}));
  o.output = "2";
  EXPECT_THROW_WITH(make_backbone("t", o, {}), BackboneError,
                    "returns a tuple of 2 values; output must be an index 0..1, got \"2\"");
  o.output = "embedding";
  EXPECT_THROW_WITH(make_backbone("t", o, {}), BackboneError, "got \"embedding\"");

  o = small(save_module(dir / "flatten.pt", kFlatten));
  o.output = "embedding";
  EXPECT_THROW_WITH(make_backbone("f", o, {}), BackboneError,
                    "output = \"embedding\" was declared, but");
}

TEST(Torchscript, WrongRankAndDeclaredDimAreReportedAtLoad) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "scalar.pt", kScalar));
  EXPECT_THROW_WITH(make_backbone("s", o, {}), BackboneError,
                    "scalar.pt returned a tensor of shape [] for a batch of 1; expected [1, dim]");
  o = small(save_module(dir / "mean.pt", kChannelMean, true));
  o.forward_args = {{"return_features", true}};
  o.dim = 5;
  EXPECT_THROW_WITH(make_backbone("m", o, {}), BackboneError,
                    "mean.pt returns 3-dimensional features, but dim = 5 was declared");
  o.dim = 3;
  EXPECT_EQ(make_backbone("m", o, {})->info().dim, 3);
}

TEST(Torchscript, ForwardArgumentTheModuleDoesNotTake) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "flatten.pt", kFlatten));
  o.forward_args = {{"return_features", true}};
  EXPECT_THROW_WITH(make_backbone("f", o, {}), BackboneError,
                    "forward(x, return_features=True) of ");
}

TEST(Torchscript, FilesThatAreMissingOrNotTorchScript) {
  TempDir dir;
  TorchscriptOptions o = small(dir / "absent.pt");
  EXPECT_THROW_WITH(make_backbone("x", o, {}), BackboneError,
                    "absent.pt does not exist (or is not a file)");

  std::string bytes;
  for (int i = 0; i < 4096; ++i)
    bytes.push_back(static_cast<char>((i * 2654435761u) >> 24));
  testing::write_text(dir / "random.pt", bytes);
  o.weights = dir / "random.pt";
  EXPECT_THROW_WITH(make_backbone("x", o, {}), BackboneError,
                    "random.pt is not a TorchScript file torch::jit::load can read");

  testing::write_text(dir / "image.png",
                      std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02", 24));
  o.weights = dir / "image.png";
  EXPECT_THROW_WITH(make_backbone("x", o, {}), BackboneError,
                    "image.png is not a TorchScript file torch::jit::load can read");
}

TEST(Torchscript, PinnedSha256) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "flatten.pt", kFlatten));
  const std::string digest = sha256_file_hex(o.weights);
  o.expected_sha256 = digest;
  EXPECT_NO_THROW(make_backbone("f", o, {}));
  o.expected_sha256 = std::string(64, 'a');
  EXPECT_THROW_WITH(
      make_backbone("f", o, {}), BackboneError,
      "flatten.pt has sha256 " + digest + ", but the job pins sha256 " + std::string(64, 'a'));
}

TEST(Torchscript, IdentityCoversOptionsAndFileContentNotItsPath) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "a.pt", kFlatten));
  const std::string base = make_backbone("f", o, {})->info().identity;
  EXPECT_EQ(base.size(), 64u);
  std::filesystem::copy_file(o.weights, dir / "b.pt");
  TorchscriptOptions moved = o;
  moved.weights = dir / "b.pt";
  EXPECT_EQ(make_backbone("g", moved, {})->info().identity, base);

  std::vector<TorchscriptOptions> variants(6, o);
  variants[0].resize = Resize::kPilBicubic;
  variants[1].crop = Crop::kCenter;
  variants[2].input_range = Range::kUnit;
  variants[3].mean[1] = 0.5;
  variants[4].std[2] = 2.0;
  variants[5].weights = save_module(dir / "c.pt", kTuple);
  variants[5].output = "0";
  std::set<std::string> seen = {base};
  for (const auto& v : variants)
    EXPECT_TRUE(seen.insert(make_backbone("f", v, {})->info().identity).second);
}

TEST(Torchscript, NoResizeBatchesAtTheDeclaredSize) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "mean.pt", kChannelMean, true));
  o.resize = Resize::kNone;
  o.input_size = 3;
  o.forward_args = {{"return_features", true}};
  auto net = make_backbone("n", o, {});
  EXPECT_EQ(features_of(*net, {constant(3, 3, {9, 18, 27})}), (std::vector<float>{9, 18, 27}));
  std::vector<float> buffer(27);
  EXPECT_THROW_WITH(net->preprocess(constant(4, 3, {0, 0, 0}), buffer.data()), BackboneError,
                    "got a 4x3 (width x height) image");
}

TEST(Torchscript, ShorterSideNeedsAResizeFilter) {
  TempDir dir;
  TorchscriptOptions o = small(save_module(dir / "flatten.pt", kFlatten));
  o.resize = Resize::kNone;
  o.crop = Crop::kShorterSide;
  EXPECT_THROW_WITH(make_backbone("f", o, {}), BackboneError, "needs a resize filter");
}

}  // namespace
}  // namespace gensweep::features
