#include "gensweep/features/backbone.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "test_util.h"

namespace gensweep::features {
namespace {

io::Image gradient_image(int w, int h, int salt = 0) {
  io::Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<std::size_t>(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.rgb[(y * w + x) * 3 + c] =
            static_cast<std::uint8_t>((x * 7 + y * 13 + c * 50 + salt) % 256);
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

TEST(Pixels, SameSizeIsTheImageOver255InChwOrder) {
  auto net = make_backbone("pix", PixelsOptions{8}, {});
  EXPECT_EQ(net->info().dim, 3 * 8 * 8);
  EXPECT_EQ(net->info().kind, "pixels");
  auto img = gradient_image(8, 8);
  auto f = features_of(*net, {img});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x)
        ASSERT_EQ(f[(c * 8 + y) * 8 + x], img.rgb[(y * 8 + x) * 3 + c] / 255.0f) << c << y << x;
}

TEST(Pixels, HalvingAveragesTwoByTwoBlocks) {
  auto net = make_backbone("pix", PixelsOptions{2}, {});
  auto img = gradient_image(4, 4);
  auto f = features_of(*net, {img});
  for (int c = 0; c < 3; ++c) {
    for (int by = 0; by < 2; ++by) {
      for (int bx = 0; bx < 2; ++bx) {
        double sum = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            sum += img.rgb[((2 * by + dy) * 4 + 2 * bx + dx) * 3 + c] / 255.0;
        EXPECT_NEAR(f[(c * 2 + by) * 2 + bx], sum / 4, 1e-6);
      }
    }
  }
}

TEST(RandomCnn, SameOptionsGiveIdenticalFeaturesOtherSeedsDiffer) {
  RandomCnnOptions o;
  o.dim = 16;
  o.width = 4;
  o.input_size = 16;
  o.seed = 7;
  auto a = make_backbone("a", o, {});
  auto b = make_backbone("b", o, {});
  std::vector<io::Image> imgs = {gradient_image(20, 12), gradient_image(9, 30, 5)};
  auto fa = features_of(*a, imgs), fb = features_of(*b, imgs);
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(a->info().identity, b->info().identity);
  o.seed = 8;
  auto c = make_backbone("c", o, {});
  EXPECT_NE(features_of(*c, imgs), fa);
  EXPECT_NE(c->info().identity, a->info().identity);
}

TEST(RandomCnn, IdentityCoversEveryParameter) {
  RandomCnnOptions base;
  base.dim = 8;
  base.width = 2;
  base.input_size = 16;
  std::set<std::string> identities;
  for (int variant = 0; variant < 5; ++variant) {
    RandomCnnOptions o = base;
    if (variant == 1) o.dim = 9;
    if (variant == 2) o.seed = 1;
    if (variant == 3) o.input_size = 17;
    if (variant == 4) o.width = 3;
    identities.insert(make_backbone("x", o, {})->info().identity);
  }
  EXPECT_EQ(identities.size(), 5u);
  // The id is the job's name for it, not part of its identity.
  EXPECT_EQ(make_backbone("one", base, {})->info().identity,
            make_backbone("two", base, {})->info().identity);
}

// With zero biases and ReLU activations the network is positively homogeneous: f(2x) = 2 f(x),
// exactly in floating point (scaling by 2 is exact), and f(0) = 0.
TEST(RandomCnn, PositivelyHomogeneousAndZeroAtZero) {
  RandomCnnOptions o;
  o.dim = 12;
  o.width = 4;
  o.input_size = 16;
  auto net = make_backbone("h", o, {});
  const auto n = net->info().input_size;
  std::vector<float> x(2 * n), x2(2 * n), zero(n, 0.0f);
  net->preprocess(gradient_image(16, 16), x.data());
  net->preprocess(gradient_image(16, 16, 77), x.data() + n);
  for (std::size_t i = 0; i < x.size(); ++i)
    x2[i] = 2 * x[i];
  std::vector<float> f(2 * o.dim), f2(2 * o.dim), f0(o.dim);
  net->forward(x.data(), 2, f.data());
  net->forward(x2.data(), 2, f2.data());
  net->forward(zero.data(), 1, f0.data());
  for (std::size_t i = 0; i < f.size(); ++i)
    EXPECT_EQ(f2[i], 2 * f[i]) << i;
  for (float v : f0)
    EXPECT_EQ(v, 0.0f);
  float norm = 0;
  for (float v : f)
    norm += v * v;
  EXPECT_GT(norm, 0.0f);
}

TEST(RandomCnn, BatchCompositionDoesNotChangeARowBeyondRoundOff) {
  RandomCnnOptions o;
  o.dim = 10;
  o.width = 4;
  o.input_size = 16;
  auto net = make_backbone("b", o, {});
  std::vector<io::Image> imgs = {gradient_image(16, 16), gradient_image(16, 16, 3),
                                 gradient_image(16, 16, 9)};
  auto together = features_of(*net, imgs);
  for (std::size_t i = 0; i < imgs.size(); ++i) {
    auto alone = features_of(*net, {imgs[i]});
    for (int k = 0; k < o.dim; ++k) {
      EXPECT_NEAR(together[i * o.dim + k], alone[k], 1e-5f * (1 + std::abs(alone[k])));
    }
  }
}

// The extract stage runs forward passes of one backbone from several threads at once, each with one
// intra-op thread (backbone.h): concurrent calls must give the bits of the same calls made one
// after another.
TEST(RandomCnn, ConcurrentForwardPassesGiveTheBitsOfSequentialOnes) {
  RandomCnnOptions o;
  o.dim = 32;
  o.width = 16;
  o.input_size = 64;
  const auto net = make_backbone("c", o, {});
  constexpr int kBatches = 4, kBatch = 3;
  const auto n = net->info().input_size;
  std::vector<std::vector<float>> inputs(kBatches, std::vector<float>(kBatch * n));
  for (int b = 0; b < kBatches; ++b)
    for (int i = 0; i < kBatch; ++i)
      net->preprocess(gradient_image(40 + b, 30 + i, b * kBatch + i), inputs[b].data() + i * n);
  const auto run = [&](int b) {
    std::vector<float> out(kBatch * o.dim);
    net->forward(inputs[b].data(), kBatch, out.data());
    return out;
  };
  set_intra_op_threads_of_this_thread(1);
  std::vector<std::vector<float>> sequential, concurrent(kBatches);
  for (int b = 0; b < kBatches; ++b)
    sequential.push_back(run(b));
  for (int repeat = 0; repeat < 3; ++repeat) {
    std::vector<std::thread> threads;
    for (int b = 0; b < kBatches; ++b) {
      threads.emplace_back([&, b] {
        set_intra_op_threads_of_this_thread(1);
        concurrent[b] = run(b);
      });
    }
    for (auto& t : threads)
      t.join();
    for (int b = 0; b < kBatches; ++b)
      EXPECT_EQ(concurrent[b], sequential[b]) << "batch " << b << ", repeat " << repeat;
  }
}

TEST(Device, CudaWithoutAGpuIsABackboneError) {
  DeviceOptions d;
  d.device = "cuda:0";
  RandomCnnOptions o;
  o.width = 2;
  o.dim = 4;
  try {
    auto net = make_backbone("g", o, d);
    GTEST_SKIP() << "a CUDA device is available here";
  } catch (const BackboneError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "device 'cuda:0' requested, but this LibTorch build sees no CUDA device"),
              std::string::npos)
        << e.what();
  }
  d.device = "auto";
  EXPECT_NO_THROW(make_backbone("g", o, d));
}

TEST(Table, KindsAreUniqueValidNames) {
  std::set<std::string> names;
  for (const auto& k : backbone_kinds()) {
    EXPECT_TRUE(is_valid_name(k.name)) << k.name;
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
  }
}

}  // namespace
}  // namespace gensweep::features
