#include "torch_device.h"

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <charconv>

#include "gensweep/core/error.h"

namespace gensweep::features {

void apply_precision_policy() {
  at::Context& context = at::globalContext();
  // Since 1.12 setAllowTF32CuBLAS(false) means float32 matmul precision "highest"; setting the
  // precision as well keeps the policy whole where a later LibTorch separates the two.
  context.setAllowTF32CuBLAS(false);
#if TORCH_VERSION_MAJOR > 1 || TORCH_VERSION_MINOR >= 12
  context.setFloat32MatmulPrecision(at::Float32MatmulPrecision::HIGHEST);
#endif
  // cuDNN's default is TF32 on (Ampere and later), unlike cuBLAS's.
  context.setAllowTF32CuDNN(false);
  context.setDeterministicCuDNN(true);
  context.setBenchmarkCuDNN(false);
  // Not torch.use_deterministic_algorithms: it makes every op without a deterministic kernel throw
  // (a TorchScript backbone may hold one) and cuBLAS demand CUBLAS_WORKSPACE_CONFIG, while
  // PyTorch's list of nondeterministic ops names none of the forwards the built-in backbones run
  // (convolution, batch norm, pooling, linear) once cuDNN is deterministic.
}

std::optional<int> choose_cuda_device(const DeviceOptions& options, int cuda_devices) {
  const std::string& d = options.device;
  if (d == "cpu") return std::nullopt;
  if (d == "auto" && cuda_devices == 0) return std::nullopt;
  int index = -1;
  if (d.starts_with("cuda:")) {
    const char* first = d.data() + 5;
    const char* last = d.data() + d.size();
    const auto [end, ec] = std::from_chars(first, last, index);
    GENSWEEP_CHECK(ec == std::errc() && end == last && first != last && index >= 0, BackboneError,
                   "device '{}': expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\"", d);
  } else {
    GENSWEEP_CHECK(d == "auto" || d == "cuda", BackboneError,
                   "device '{}': expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\"", d);
  }
  GENSWEEP_CHECK(cuda_devices > 0, BackboneError,
                 "device '{}' requested, but this LibTorch build sees no CUDA device (use "
                 "device = \"cpu\" or \"auto\")",
                 d);
  if (index < 0) return std::max(options.local_rank, 0) % cuda_devices;
  GENSWEEP_CHECK(index < cuda_devices, BackboneError,
                 "device '{}' requested, but LibTorch sees {} CUDA device{} (cuda:0 to cuda:{}; "
                 "CUDA_VISIBLE_DEVICES renumbers them)",
                 d, cuda_devices, cuda_devices == 1 ? "" : "s", cuda_devices - 1);
  return index;
}

torch::Device resolve_device(const DeviceOptions& options) {
  apply_precision_policy();
  const int cuda_devices =
      torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  const std::optional<int> index = choose_cuda_device(options, cuda_devices);
  if (!index) return torch::kCPU;
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(*index));
}

}  // namespace gensweep::features
