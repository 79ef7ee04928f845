#include "torch_device.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include "gensweep/core/error.h"

namespace gensweep::features {

torch::Device resolve_device(const DeviceOptions& options) {
  const std::string& d = options.device;
  if (d == "cpu") return torch::kCPU;
  const bool have_cuda = torch::cuda::is_available();
  if (d == "auto") {
    if (!have_cuda) return torch::kCPU;
    int count = static_cast<int>(torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(options.local_rank % count));
  }
  // Results must not depend on hidden precision modes: no TF32 in matmuls or convolutions.
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  GENSWEEP_CHECK(have_cuda, BackboneError,
                 "device '{}' requested, but this LibTorch build sees no CUDA device (use "
                 "device = \"cpu\" or \"auto\")",
                 d);
  if (d == "cuda") return torch::Device(torch::kCUDA, 0);
  return torch::Device(d);
}

}  // namespace gensweep::features
