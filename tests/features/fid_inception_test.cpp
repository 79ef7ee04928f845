// fid-inception: the weights contract on in-memory random weights (no files needed), then
// pytorch-fid's golden features on the surrogate weights (../shared/golden/cifar10_surrogate_
// inception: pytorch-fid 0.3 on torch 1.13, CPU, batches of 50).
//
// Tolerances: float32 round-off, measured rather than assumed. gensweep runs the same ops as
// pytorch-fid, but oneDNN's convolution kernels block their sums by the CPU's vector width (the
// golden values come from another machine), so the two agree to round-off accumulated over ~50
// layers, not bit for bit. How large that round-off is: on images 0-3, a float64 run of this
// network is 2.0e-5 (row-wise relative L2) from gensweep's float32 pool3 and 1.6e-5 from
// pytorch-fid's, which are 2.0e-5 from each other; on all 846 images gensweep vs pytorch-fid is
// 3.1e-5 row-wise, 9.4e-5 max abs (features reach 12.7). The bounds below leave about 3x. The
// errors are printed and recorded as test properties.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <tuple>

#include "fid_inception_backbone.h"
#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/core/sha256.h"
#include "gensweep/features/backbone.h"
#include "gensweep/features/checkpoint.h"
#include "gensweep/io/decode.h"
#include "gensweep/metrics/frechet.h"
#include "h5_test_util.h"
#include "test_util.h"
#include "torch_runtime.h"

namespace gensweep::features {
namespace {

constexpr const char* kGolden = "golden/cifar10_surrogate_inception/data.h5";
// pytorch-fid's pooled block outputs as it computes them (eval mode). data.h5's
// pytorch_fid_block*_pooled_first5 are superseded by these (golden/README.md, "Correction").
constexpr const char* kGoldenBlocks = "golden/cifar10_surrogate_inception/blocks_eval_first5.h5";
constexpr const char* kWeights = "weights/surrogate-fid-inception.pth";
constexpr const char* kWeightsSha256 =
    "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed";
constexpr int kImages = 846;
constexpr int kHalf = 423;  // half A = images 0-422, half B = 423-845
// FD(half A, half B) on pytorch-fid's features, exact (nuclear-norm form; golden README).
constexpr double kExactFd = 45.939061145462915;
constexpr int kThreads = 2;

// ---- in-memory weights with the expected names and shapes ----------------------------------

CheckpointTensor float_tensor(const std::vector<std::int64_t>& shape, Rng& rng, double scale,
                              double offset) {
  CheckpointTensor t;
  t.dtype = TensorDType::kFloat32;
  t.shape = shape;
  std::int64_t n = 1;
  for (auto s : shape)
    n *= s;
  std::vector<float> values(static_cast<std::size_t>(n));
  for (auto& v : values)
    v = static_cast<float>(offset + scale * rng.normal());
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

// He-normal convolutions, batch norm near identity (so activations stay O(1) through the
// network), a small random fc: enough to exercise every op and every key.
const StateDict& random_weights() {
  static const StateDict dict = [] {
    StateDict d;
    Rng rng(20240607, 0);
    for (const auto& t : fid_inception_tensors()) {
      double scale = 0.0, offset = 0.0;
      if (t.name.ends_with(".conv.weight")) {
        scale = std::sqrt(2.0 / static_cast<double>(t.shape[1] * t.shape[2] * t.shape[3]));
      } else if (t.name.ends_with(".bn.weight") || t.name.ends_with(".bn.running_var")) {
        offset = 1.0;
        scale = 0.05;
      } else if (t.name == "fc.weight") {
        scale = 1.0 / std::sqrt(2048.0);
      } else {
        scale = 0.1;  // bn.bias, bn.running_mean, fc.bias
      }
      d.emplace_back(t.name, float_tensor(t.shape, rng, scale, offset));
      if (t.name.ends_with(".bn.running_var")) {
        // What torch >= 0.4.1 saves next to every batch norm: accepted and ignored.
        CheckpointTensor counter;
        counter.dtype = TensorDType::kInt64;
        counter.data.assign(8, 0);
        d.emplace_back(t.name.substr(0, t.name.size() - 12) + ".num_batches_tracked",
                       std::move(counter));
      }
    }
    return d;
  }();
  return dict;
}

// make_backbone sets the process's torch threads; the in-memory constructor the tests also use
// does not, so set them here for every test alike.
DeviceOptions cpu_threads() {
  configure_torch_threads(kThreads);
  DeviceOptions d;
  d.threads = kThreads;
  return d;
}

io::Image pattern_image(int w, int h, int salt) {
  io::Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<std::size_t>(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.rgb[(y * w + x) * 3 + c] =
            static_cast<std::uint8_t>((x * (7 + salt) + y * 13 + c * 50 + x * y * salt) % 256);
  return img;
}

std::vector<float> features_of(Backbone& net, const std::vector<io::Image>& images) {
  const auto& info = net.info();
  std::vector<float> inputs(images.size() * info.input_size), out(images.size() * info.dim);
  for (std::size_t i = 0; i < images.size(); ++i)
    net.preprocess(images[i], inputs.data() + i * info.input_size);
  net.forward(inputs.data(), static_cast<std::int64_t>(images.size()), out.data());
  return out;
}

FidInceptionOptions options_for(
    const std::string& layer,
    FidInceptionOptions::Resize resize = FidInceptionOptions::Resize::kPytorchBilinear) {
  FidInceptionOptions o;
  o.weights = "random.pth";
  o.layer = layer;
  o.resize = resize;
  return o;
}

std::unique_ptr<Backbone> random_net(const std::string& layer, const StateDict& dict) {
  return make_fid_inception_backbone("inc", dict, std::string(64, 'a'), options_for(layer),
                                     cpu_threads());
}

TEST(FidInceptionWeights, ExpectedTensorsArePytorchFidsStateDict) {
  const auto& tensors = fid_inception_tensors();
  ASSERT_EQ(tensors.size(), 94u * 5 + 2);  // 94 BasicConv2d + fc
  EXPECT_EQ(tensors.front().name, "Conv2d_1a_3x3.conv.weight");
  EXPECT_EQ(tensors.front().shape, (std::vector<std::int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(tensors[tensors.size() - 3].name, "Mixed_7c.branch_pool.bn.running_var");
  EXPECT_EQ(tensors[tensors.size() - 3].shape, (std::vector<std::int64_t>{192}));
  EXPECT_EQ(tensors[tensors.size() - 2].name, "fc.weight");
  EXPECT_EQ(tensors[tensors.size() - 2].shape, (std::vector<std::int64_t>{1008, 2048}));
  EXPECT_EQ(tensors.back().name, "fc.bias");
  std::int64_t parameters = 0;
  for (const auto& t : tensors) {
    if (t.name.ends_with("running_mean") || t.name.ends_with("running_var")) continue;
    std::int64_t n = 1;
    for (auto s : t.shape)
      n *= s;
    parameters += n;
  }
  // torchvision's inception_v3(aux_logits=False) has 23,834,568 parameters with 1000 classes;
  // pytorch-fid's 1008-way fc adds 8 x 2049.
  EXPECT_EQ(parameters, 23834568 + 8 * 2049);
}

TEST(FidInceptionWeights, MissingKeyIsNamedWithItsShapeAndTheFile) {
  StateDict dict = random_weights();
  std::erase_if(dict, [](const auto& e) { return e.first == "Mixed_6c.branch7x7_2.conv.weight"; });
  EXPECT_THROW_WITH(random_net("2048", dict), BackboneError,
                    "fid-inception weights random.pth: key 'Mixed_6c.branch7x7_2.conv.weight' is "
                    "missing (expected shape [160, 160, 1, 7])");
}

TEST(FidInceptionWeights, WrongShapeIsNamedWithBothShapes) {
  StateDict dict = random_weights();
  for (auto& [name, t] : dict) {
    if (name == "Mixed_7c.branch_pool.conv.weight") t.shape = {192, 1280, 1, 1};
  }
  EXPECT_THROW_WITH(random_net("2048", dict), BackboneError,
                    "fid-inception weights random.pth: key 'Mixed_7c.branch_pool.conv.weight' has "
                    "shape [192, 1280, 1, 1], expected [192, 2048, 1, 1]");
}

TEST(FidInceptionWeights, UnexpectedKeyIsAnErrorButBatchNormCountersAreNot) {
  StateDict dict = random_weights();
  std::size_t counters = 0;
  for (const auto& e : dict)
    counters += e.first.ends_with(".bn.num_batches_tracked");
  EXPECT_EQ(counters, 94u);
  CheckpointTensor extra;
  extra.dtype = TensorDType::kFloat32;
  extra.shape = {10};
  extra.data.assign(40, 0);
  dict.emplace_back("AuxLogits.fc.bias", extra);
  EXPECT_THROW_WITH(random_net("2048", dict), BackboneError,
                    "fid-inception weights random.pth: unexpected key 'AuxLogits.fc.bias' (shape "
                    "[10])");
}

TEST(FidInceptionWeights, UnknownLayerIsAnError) {
  EXPECT_THROW_WITH(random_net("pool3", random_weights()), BackboneError,
                    "fid-inception: unknown layer 'pool3'");
}

TEST(FidInceptionWeights, WrongSha256NamesBothDigestsAndTheStandardFile) {
  testing::TempDir dir;
  testing::write_text(dir / "w.pth", "not a checkpoint");
  FidInceptionOptions o;
  o.weights = dir / "w.pth";
  o.expected_sha256 = kWeightsSha256;
  // sha256("not a checkpoint"): the digest is checked before the file is parsed.
  const std::string actual = sha256_hex(std::string_view("not a checkpoint"));
  EXPECT_THROW_WITH(make_backbone("inc", o, cpu_threads()), BackboneError,
                    "sha256 is " + actual + ", expected " + kWeightsSha256);
  EXPECT_THROW_WITH(make_backbone("inc", o, cpu_threads()), BackboneError,
                    "pt_inception-2015-12-05-6726825d.pth, published with its GitHub releases: "
                    "https://github.com/mseitzer/pytorch-fid/releases/");
  o.weights = dir / "absent.pth";
  EXPECT_THROW_WITH(make_backbone("inc", o, cpu_threads()), BackboneError,
                    "absent.pth: no such file");
}

TEST(FidInceptionNetwork, EveryLayerHasItsDimensionAndItsOwnIdentity) {
  const std::vector<io::Image> images = {pattern_image(32, 32, 1), pattern_image(40, 24, 2)};
  std::set<std::string> identities;
  std::vector<float> logits, unbiased;
  for (const auto& [layer, dim] :
       std::vector<std::pair<std::string, std::int64_t>>{{"64", 64},
                                                         {"192", 192},
                                                         {"768", 768},
                                                         {"2048", 2048},
                                                         {"logits", 1008},
                                                         {"logits_unbiased", 1008}}) {
    auto net = random_net(layer, random_weights());
    EXPECT_EQ(net->info().kind, "fid-inception");
    EXPECT_EQ(net->info().dim, dim) << layer;
    EXPECT_EQ(net->info().input_size, 3 * 299 * 299);
    identities.insert(net->info().identity);
    const std::vector<float> f = features_of(*net, images);
    ASSERT_EQ(f.size(), 2 * static_cast<std::size_t>(dim));
    for (float v : f)
      ASSERT_TRUE(std::isfinite(v)) << layer;
    if (layer == "logits") logits = f;
    if (layer == "logits_unbiased") unbiased = f;
  }
  EXPECT_EQ(identities.size(), 6u);
  // logits - logits_unbiased is fc.bias.
  const CheckpointTensor* bias = find_tensor(random_weights(), "fc.bias");
  ASSERT_NE(bias, nullptr);
  const std::vector<float> b = bias->to_float();
  for (std::size_t i = 0; i < logits.size(); ++i)
    ASSERT_NEAR(logits[i] - unbiased[i], b[i % 1008], 1e-4) << i;
  // Other weights (another file digest) or another resize: another identity.
  auto other = make_fid_inception_backbone("inc", random_weights(), std::string(64, 'b'),
                                           options_for("2048"), cpu_threads());
  EXPECT_EQ(identities.count(other->info().identity), 0u);
  auto tf1 = make_fid_inception_backbone(
      "inc", random_weights(), std::string(64, 'a'),
      options_for("2048", FidInceptionOptions::Resize::kTf1Bilinear), cpu_threads());
  EXPECT_EQ(identities.count(tf1->info().identity), 0u);
  EXPECT_NE(tf1->info().preprocessing, other->info().preprocessing);
}

TEST(FidInceptionNetwork, BatchesGiveTheFeaturesOfSingleImages) {
  auto net = random_net("2048", random_weights());
  const std::vector<io::Image> images = {pattern_image(32, 32, 3), pattern_image(299, 299, 4),
                                         pattern_image(17, 50, 5)};
  const std::vector<float> batch = features_of(*net, images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::vector<float> single = features_of(*net, {images[i]});
    for (std::size_t j = 0; j < single.size(); ++j)
      ASSERT_NEAR(single[j], batch[i * 2048 + j], 1e-5 * (1 + std::fabs(single[j]))) << i << j;
  }
}

// ---- golden: pytorch-fid on the surrogate weights --------------------------------------------

std::filesystem::path image_path(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "%04d.png", i);
  return testing::shared_dir() / "data" / "cifar10-test-846" / name;
}

// Preprocessed inputs of images [0, count), [count x 3*299*299].
std::vector<float> preprocessed(const Backbone& net, int count) {
  std::vector<float> inputs(static_cast<std::size_t>(count * net.info().input_size));
  for (int i = 0; i < count; ++i) {
    const io::DecodeOutcome decoded = io::decode_image(io::read_file_bytes(image_path(i)));
    if (!decoded.ok) throw IoError(image_path(i).string() + ": " + decoded.reason);
    net.preprocess(decoded.image, inputs.data() + i * net.info().input_size);
  }
  return inputs;
}

std::vector<float> forward_in_batches(Backbone& net, const std::vector<float>& inputs, int count,
                                      int batch) {
  std::vector<float> out(static_cast<std::size_t>(count * net.info().dim));
  for (int start = 0; start < count; start += batch) {
    const int n = std::min(batch, count - start);
    net.forward(inputs.data() + start * net.info().input_size, n,
                out.data() + start * net.info().dim);
  }
  return out;
}

struct Errors {
  double max_abs = 0;  // max |ours - golden|
  double max_rel = 0;  // max |ours - golden| / |golden| over golden values >= 1e-2 of the row's max
  double max_row_rel = 0;  // max over rows of ||ours - golden|| / ||golden||
};

Errors compare(const std::vector<float>& ours, const std::vector<float>& golden, std::int64_t dim) {
  Errors e;
  const std::int64_t rows = static_cast<std::int64_t>(golden.size()) / dim;
  for (std::int64_t r = 0; r < rows; ++r) {
    double row_max = 0, diff2 = 0, norm2 = 0;
    for (std::int64_t j = 0; j < dim; ++j)
      row_max = std::max(row_max, std::fabs(double(golden[r * dim + j])));
    for (std::int64_t j = 0; j < dim; ++j) {
      const double g = golden[r * dim + j], d = std::fabs(double(ours[r * dim + j]) - g);
      e.max_abs = std::max(e.max_abs, d);
      if (std::fabs(g) >= 1e-2 * row_max) e.max_rel = std::max(e.max_rel, d / std::fabs(g));
      diff2 += d * d;
      norm2 += g * g;
    }
    e.max_row_rel = std::max(e.max_row_rel, std::sqrt(diff2 / norm2));
  }
  return e;
}

void report(const char* what, const Errors& e) {
  std::printf("%-28s max abs error %.3g, max rel error %.3g, max row-wise relative L2 error %.3g\n",
              what, e.max_abs, e.max_rel, e.max_row_rel);
  ::testing::Test::RecordProperty(std::string(what) + "_max_abs_error", std::to_string(e.max_abs));
  ::testing::Test::RecordProperty(std::string(what) + "_max_rel_error", std::to_string(e.max_rel));
}

// float32 round-off through ~50 layers (see the header comment). The elementwise relative error
// is largest on the smallest values it counts (1e-2 of a row's largest; logits cross zero), where
// it is really the absolute error over a small number: the row-wise bound says "round-off".
constexpr double kMaxAbsError = 3e-4;
constexpr double kMaxRelError = 1e-2;
constexpr double kMaxRowRelError = 1e-4;

void expect_round_off(const Errors& e) {
  EXPECT_LE(e.max_abs, kMaxAbsError);
  EXPECT_LE(e.max_rel, kMaxRelError);
  EXPECT_LE(e.max_row_rel, kMaxRowRelError);
}

class FidInceptionGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    GENSWEEP_REQUIRE_SHARED(kGolden);
    GENSWEEP_REQUIRE_SHARED(kWeights);
    GENSWEEP_REQUIRE_SHARED("data/cifar10-test-846/0845.png");
  }

  // The one 846-image forward pass the golden tests share (4 to 10 minutes on 2 shared cores),
  // through make_backbone with the file and its pinned digest, as a job builds it.
  struct Pool3 {
    std::vector<float> features;  // [846 x 2048]
    double images_per_second = 0;
  };
  static const Pool3& pool3() {
    static const Pool3 result = [] {
      FidInceptionOptions o;
      o.weights = testing::shared_dir() / kWeights;
      o.expected_sha256 = kWeightsSha256;
      o.layer = "2048";
      auto net = make_backbone("inception", o, cpu_threads());
      Pool3 r;
      const std::vector<float> inputs = preprocessed(*net, kImages);
      const auto start = std::chrono::steady_clock::now();
      r.features = forward_in_batches(*net, inputs, kImages, 50);  // pytorch-fid's batch size
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      r.images_per_second = kImages / seconds;
      std::printf("fid-inception forward: %d images in %.1f s on %d threads, %.2f images/s\n",
                  kImages, seconds, kThreads, r.images_per_second);
      return r;
    }();
    return result;
  }

  static std::vector<float> golden(const char* name, std::vector<hsize_t> expected_dims,
                                   const char* file = kGolden) {
    io::testing::GoldenTensor tensor =
        io::testing::read_float_dataset((testing::shared_dir() / file).string(), name);
    EXPECT_EQ(tensor.dims, expected_dims) << file << ": " << name;
    return std::move(tensor.data);
  }
};

TEST_F(FidInceptionGolden, Pool3FeaturesOfAll846ImagesMatchPytorchFid) {
  const std::vector<float> expected = golden("pytorch_fid_pool3_features_all846", {846, 2048});
  ASSERT_EQ(expected.size(), 846u * 2048);
  const Pool3& ours = pool3();
  RecordProperty("images_per_second", std::to_string(ours.images_per_second));
  const Errors e = compare(ours.features, expected, 2048);
  report("pool3 (2048) all 846", e);
  expect_round_off(e);
}

// The block golden's "2048" rows are the pool3 golden's first five to the bit: both come from
// the same eval-mode network on the same images, so the block golden is pytorch-fid's as it
// computes FID. The block test below relies on this.
TEST_F(FidInceptionGolden, EvalBlock2048GoldenIsThePool3GoldensFirstFiveRows) {
  GENSWEEP_REQUIRE_SHARED(kGoldenBlocks);
  const std::vector<float> block =
      golden("pytorch_fid_block2048_pooled_first5", {5, 2048}, kGoldenBlocks);
  std::vector<float> pool3 = golden("pytorch_fid_pool3_features_all846", {846, 2048});
  ASSERT_EQ(block.size(), 5u * 2048);
  ASSERT_EQ(pool3.size(), 846u * 2048);
  pool3.resize(block.size());
  EXPECT_EQ(std::memcmp(block.data(), pool3.data(), block.size() * sizeof(float)), 0);
}

// Where each layer taps the network (after the first max pool, the second, Mixed_6e, pool3), on
// one 5-image batch in eval mode, as pytorch-fid's InceptionV3([0, 1, 2, 3]) returns the blocks
// (adaptive average pooled). The arithmetic is also checked on all 846 images above.
TEST_F(FidInceptionGolden, PooledBlocksOfTheFirstFiveImagesMatchPytorchFid) {
  GENSWEEP_REQUIRE_SHARED(kGoldenBlocks);
  const StateDict weights = read_checkpoint(testing::shared_dir() / kWeights);
  std::vector<float> inputs;
  for (const auto& [layer, dim] : std::vector<std::pair<std::string, hsize_t>>{
           {"64", 64}, {"192", 192}, {"768", 768}, {"2048", 2048}}) {
    FidInceptionOptions o;
    o.weights = kWeights;
    o.layer = layer;
    auto net = make_fid_inception_backbone("inc", weights, kWeightsSha256, o, cpu_threads());
    if (inputs.empty()) inputs = preprocessed(*net, 5);
    const std::string name = "pytorch_fid_block" + layer + "_pooled_first5";
    const std::vector<float> expected = golden(name.c_str(), {5, dim}, kGoldenBlocks);
    ASSERT_EQ(expected.size(), 5 * dim);
    const Errors e =
        compare(forward_in_batches(*net, inputs, 5, 5), expected, static_cast<std::int64_t>(dim));
    report(("block " + layer + " first 5").c_str(), e);
    expect_round_off(e);
  }
}

// torch-fidelity's extractor (inception-v3-compat) on the same weights: the same network fed by
// a TF1-style bilinear resize of 0..255 values, then (x - 128) / 128. Its pool3 features and
// unbiased logits on the first 25 images (eval mode: a batch's composition does not matter).
TEST_F(FidInceptionGolden, Tf1ResizeReproducesTorchFidelityFeaturesAndUnbiasedLogits) {
  constexpr int kCount = 25;
  const StateDict weights = read_checkpoint(testing::shared_dir() / kWeights);
  std::vector<float> inputs;
  for (const auto& [layer, dataset, dim] :
       std::vector<std::tuple<std::string, const char*, hsize_t>>{
           {"2048", "torch_fidelity_pool3_features_all846", 2048},
           {"logits_unbiased", "torch_fidelity_logits_unbiased_all846", 1008}}) {
    FidInceptionOptions o;
    o.weights = kWeights;
    o.layer = layer;
    o.resize = FidInceptionOptions::Resize::kTf1Bilinear;
    auto net = make_fid_inception_backbone("inc", weights, kWeightsSha256, o, cpu_threads());
    if (inputs.empty()) inputs = preprocessed(*net, kCount);
    std::vector<float> expected = golden(dataset, {846, dim});
    ASSERT_EQ(expected.size(), 846 * dim);
    expected.resize(kCount * dim);
    const Errors e = compare(forward_in_batches(*net, inputs, kCount, kCount), expected,
                             static_cast<std::int64_t>(dim));
    report(("torch-fidelity " + layer + " first 25").c_str(), e);
    expect_round_off(e);
  }
}

TEST_F(FidInceptionGolden, FrechetDistanceOfTheHalvesMatchesTheExactValue) {
  const Pool3& ours = pool3();
  const FeatureView a{ours.features.data(), kHalf, 2048};
  const FeatureView b{ours.features.data() + kHalf * 2048, kImages - kHalf, 2048};
  const metrics::FrechetResult fd = metrics::frechet_distance(a, b);
  const double rel = std::fabs(fd.value - kExactFd) / kExactFd;
  std::printf(
      "FD(half A, half B) = %.15g (%s route), exact on pytorch-fid's features %.15g, "
      "relative error %.3g\n",
      fd.value, fd.route.c_str(), kExactFd, rel);
  RecordProperty("fd", fmt::format("{:.17g}", fd.value));
  RecordProperty("fd_rel_error", std::to_string(rel));
  EXPECT_LE(rel, 1e-6);
}

}  // namespace
}  // namespace gensweep::features
