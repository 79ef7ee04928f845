// Real feature spaces without the internet: torchvision's VGG16 (fc2), Inception-v3 and ViT-B/16,
// built with seeded random weights and exported through scripts/export_backbones.py's own
// exporters (torchvision_reference.py), run by gensweep with the presets the script writes. The
// features of 64 bundled images must equal PyTorch's (computed by the same script with the
// reference preprocessing: PIL bicubic, ToTensor, mean/std) to float32 round-off. Needs Debian's
// python3-torch and python3-torchvision (installed by scripts/setup.sh for the tests only); skips
// without them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "gensweep/store/external_features.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kImages = 64;

bool python_has_torchvision() {
  return std::system(
             "/usr/bin/python3 -c 'import torch, torchvision, PIL, numpy' >/dev/null 2>&1") == 0;
}

struct Network {
  const char* preset;  // the exporter's name, and the preset it writes
  std::int64_t dim;
};

class TorchvisionBackbone : public ::testing::TestWithParam<Network> {};

TEST_P(TorchvisionBackbone, FeaturesEqualPyTorchsToFloat32RoundOff) {
  if (!python_has_torchvision())
    GTEST_SKIP() << "needs /usr/bin/python3 with torch and torchvision (python3-torch, "
                    "python3-torchvision: scripts/setup.sh installs them)";
  const Network net = GetParam();
  TempDir dir;
  copy_cifar_images(dir / "images", 0, kImages);
  fs::create_directories(dir / "exported");
  const std::string script =
      (source_dir() / "tests" / "integration" / "torchvision_reference.py").string();
  const std::string command = fmt::format(
      "/usr/bin/python3 '{}' '{}' '{}' {} {} > '{}' 2>&1", script, (dir / "exported").string(),
      (dir / "images").string(), kImages, net.preset, (dir / "python.log").string());
  ASSERT_EQ(std::system(command.c_str()), 0) << read_text(dir / "python.log");

  // Two datasets so that the comparison asks for the 64 images' store; extraction only.
  write_text(dir / "job.toml", fmt::format(R"([job]
name = "torchvision"
output = "out"
presets = "exported/presets.toml"

[compute]
threads = 2

[[datasets]]
id = "images"
source = "folder"
path = "images"

[[datasets]]
id = "two"
source = "folder"
path = "images"
limit = 2

[[backbones]]
id = "net"
preset = "{}"

[[comparisons]]
reference = "images"
evaluated = ["two"]
metrics = ["fd"]
)",
                                           net.preset));
  const auto r = run_gensweep({"extract", "job.toml", "--quiet"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const FeatureMatrix ours = read_store_features(dir / "out" / "stores" / "images" / "net.h5");
  const FeatureMatrix python = store::load_external_features(
      (dir / "exported" / (std::string(net.preset) + ".python.npy")).string());
  ASSERT_EQ(ours.rows, kImages);
  ASSERT_EQ(ours.cols, net.dim);
  ASSERT_EQ(python.rows, ours.rows);
  ASSERT_EQ(python.cols, ours.cols);
  // Per image, |ours - python| / |python| within float32 round-off accumulated through a deep
  // network (float32 epsilon 1.2e-7 times some tens of layers); measured at most 1e-6.
  bool varies = false;
  for (std::int64_t i = 0; i < ours.rows; ++i) {
    double diff = 0, norm = 0;
    for (std::int64_t j = 0; j < ours.cols; ++j) {
      const double p = python.values[i * ours.cols + j], o = ours.values[i * ours.cols + j];
      diff += (o - p) * (o - p);
      norm += p * p;
      varies |= p != python.values[j];
    }
    ASSERT_GT(norm, 0.0) << "image " << i << ": PyTorch's features are all zero";
    EXPECT_LE(std::sqrt(diff / norm), 1e-5) << net.preset << ", image " << i;
  }
  EXPECT_TRUE(varies) << "every image has the same features: the check would prove nothing";
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionBackbone,
                         ::testing::Values(Network{"vgg16-fc2", 4096},
                                           Network{"inception-v3", 2048}, Network{"vit-b16", 768}),
                         [](const auto& info) {
                           std::string name = info.param.preset;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace gensweep::testing
