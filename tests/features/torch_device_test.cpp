// Device selection and the precision policy. The policy is LibTorch's process-wide context, which
// a CPU-only build holds and reports too, so these tests run without a GPU: each one first sets
// every switch to the permissive value (what a user's code or a future LibTorch default might
// leave), then checks that resolving the device put the policy back.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <optional>
#include <string>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/features/backbone.h"
#include "test_util.h"
#include "torch_device.h"

namespace gensweep::features {
namespace {

void allow_everything() {
  at::Context& c = at::globalContext();
  c.setFloat32MatmulPrecision(at::Float32MatmulPrecision::MEDIUM);
  c.setAllowTF32CuDNN(true);
  c.setDeterministicCuDNN(false);
  c.setBenchmarkCuDNN(true);
  ASSERT_TRUE(c.allowTF32CuBLAS());
}

void expect_policy(const std::string& after) {
  const at::Context& c = at::globalContext();
  EXPECT_FALSE(c.allowTF32CuBLAS()) << after;
  EXPECT_FALSE(c.allowTF32CuDNN()) << after;
  EXPECT_TRUE(c.float32MatmulPrecision() == at::Float32MatmulPrecision::HIGHEST) << after;
  EXPECT_TRUE(c.deterministicCuDNN()) << after;
  EXPECT_FALSE(c.benchmarkCuDNN()) << after;
}

DeviceOptions device(const std::string& name, int local_rank = 0) {
  DeviceOptions d;
  d.device = name;
  d.local_rank = local_rank;
  return d;
}

bool have_cuda() {
  return torch::cuda::is_available() && torch::cuda::device_count() > 0;
}

TEST(PrecisionPolicy, ApplySetsEverySwitch) {
  allow_everything();
  apply_precision_policy();
  expect_policy("apply_precision_policy()");
}

// The bug this guards against: "auto" returned a CUDA device before TF32 was switched off.
TEST(PrecisionPolicy, EveryDeviceStringAppliesItWhetherOrNotAGpuIsThere) {
  for (const std::string name : {"cpu", "auto", "cuda", "cuda:0", "cuda:1", "cuda:1023"}) {
    allow_everything();
    try {
      const torch::Device d = resolve_device(device(name));
      if (!have_cuda()) {
        EXPECT_TRUE(d.is_cpu()) << name;  // only "cpu" and "auto" get here
      }
    } catch (const BackboneError&) {
      // Without a GPU every "cuda..." string is refused, and with one "cuda:1023" is: after the
      // policy was applied, which is what this test is about.
      EXPECT_TRUE(name.starts_with("cuda")) << name;
    }
    expect_policy("resolve_device(\"" + name + "\")");
  }
}

TEST(PrecisionPolicy, BuildingABackboneAppliesIt) {
  allow_everything();
  RandomCnnOptions o;
  o.width = 2;
  o.dim = 4;
  auto net = make_backbone("g", o, device("auto"));
  expect_policy("make_backbone(random-cnn, auto)");
}

TEST(ResolveDevice, WithoutAGpuAutoIsTheCpuAndCudaIsAnError) {
  if (have_cuda()) GTEST_SKIP() << "a CUDA device is available here";
  EXPECT_TRUE(resolve_device(device("auto", 3)).is_cpu());
  for (const std::string name : {"cuda", "cuda:0", "cuda:2"}) {
    EXPECT_THROW_WITH(resolve_device(device(name)), BackboneError,
                      "device '" + name +
                          "' requested, but this LibTorch build sees no CUDA device (use device = "
                          "\"cpu\" or \"auto\")");
  }
}

TEST(ResolveDevice, WithAGpuAutoAndCudaTakeTheLocalRanksDevice) {
  if (!have_cuda()) GTEST_SKIP() << "no CUDA device here";
  const int n = static_cast<int>(torch::cuda::device_count());
  for (int rank = 0; rank < 2 * n; ++rank) {
    for (const std::string name : {"auto", "cuda"}) {
      const torch::Device d = resolve_device(device(name, rank));
      EXPECT_TRUE(d.is_cuda()) << name;
      EXPECT_EQ(d.index(), rank % n) << name << " rank " << rank;
    }
  }
  EXPECT_EQ(resolve_device(device("cuda:0", 5)).index(), 0);
}

// choose_cuda_device is the whole decision; resolve_device only feeds it LibTorch's count.
TEST(ChooseCudaDevice, CpuAndAutoWithoutGpus) {
  EXPECT_EQ(choose_cuda_device(device("cpu"), 0), std::nullopt);
  EXPECT_EQ(choose_cuda_device(device("cpu"), 4), std::nullopt);
  EXPECT_EQ(choose_cuda_device(device("auto", 2), 0), std::nullopt);
}

TEST(ChooseCudaDevice, AutoAndCudaTakeTheLocalRankModuloTheVisibleDevices) {
  for (const std::string name : {"auto", "cuda"}) {
    EXPECT_EQ(choose_cuda_device(device(name, 0), 1), 0) << name;
    // Slurm's --gpus-per-task 1: every rank sees one device, numbered 0.
    EXPECT_EQ(choose_cuda_device(device(name, 3), 1), 0) << name;
    EXPECT_EQ(choose_cuda_device(device(name, 0), 4), 0) << name;
    EXPECT_EQ(choose_cuda_device(device(name, 3), 4), 3) << name;
    EXPECT_EQ(choose_cuda_device(device(name, 5), 4), 1) << name;
  }
}

TEST(ChooseCudaDevice, PinnedDeviceIgnoresTheRankAndMustBeVisible) {
  EXPECT_EQ(choose_cuda_device(device("cuda:0", 3), 1), 0);
  EXPECT_EQ(choose_cuda_device(device("cuda:3", 0), 4), 3);
  EXPECT_THROW_WITH(
      choose_cuda_device(device("cuda:4"), 4), BackboneError,
      "device 'cuda:4' requested, but LibTorch sees 4 CUDA devices (cuda:0 to cuda:3");
  EXPECT_THROW_WITH(choose_cuda_device(device("cuda:1"), 1), BackboneError,
                    "device 'cuda:1' requested, but LibTorch sees 1 CUDA device (cuda:0 to cuda:0");
  EXPECT_THROW_WITH(choose_cuda_device(device("cuda:0"), 0), BackboneError,
                    "device 'cuda:0' requested, but this LibTorch build sees no CUDA device");
  EXPECT_THROW_WITH(choose_cuda_device(device("cuda"), 0), BackboneError,
                    "device 'cuda' requested, but this LibTorch build sees no CUDA device");
}

TEST(ChooseCudaDevice, MalformedStringsAreErrors) {
  for (const std::string name : {"gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda0"}) {
    EXPECT_THROW_WITH(choose_cuda_device(device(name), 2), BackboneError,
                      "device '" + name + "': expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\"");
  }
}

}  // namespace
}  // namespace gensweep::features
