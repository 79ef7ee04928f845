#pragma once
// Device selection, and the numerical policy LibTorch runs under (only files under src/features
// include torch).
#include <torch/types.h>

#include <optional>

#include "gensweep/features/backbone.h"

namespace gensweep::features {

// Features must not depend on hidden precision modes, on any device: no TF32 in cuBLAS matmuls or
// cuDNN convolutions (TF32 keeps 10 mantissa bits: GPU features would drift from CPU's and from
// pytorch-fid's float32 far beyond round-off), float32 matmul precision "highest" (the switch
// LibTorch >= 1.12 reads for matmuls, oneDNN's included in newer versions), and cuDNN restricted to
// deterministic algorithms with autotuning off (autotuning picks algorithms by timing, so the bits
// could change from run to run). Sets LibTorch's process-wide context; idempotent. resolve_device
// applies it before anything else, so no path that can yield a device skips it.
void apply_precision_policy();

// Which CUDA device `options.device` names when `cuda_devices` are visible: nullopt for the CPU.
//   "cpu"    -> CPU
//   "auto"   -> cuda:<local_rank % cuda_devices>, or the CPU when there is none
//   "cuda"   -> cuda:<local_rank % cuda_devices> (one GPU per rank on a node; modulo, so a rank
//               that sees only its own GPU, as under Slurm's --gpus-per-task, takes cuda:0)
//   "cuda:N" -> cuda:N
// BackboneError when CUDA is requested and none is visible, when N is not a visible device, or for
// any other string. Torch-free arithmetic, so it is tested without a GPU.
std::optional<int> choose_cuda_device(const DeviceOptions& options, int cuda_devices);

// apply_precision_policy(), then choose_cuda_device() over the devices this LibTorch sees.
torch::Device resolve_device(const DeviceOptions& options);

}  // namespace gensweep::features
