#pragma once
// Device selection and thread settings for LibTorch (only files under src/features include torch).
#include <torch/types.h>

#include "gensweep/features/backbone.h"

namespace gensweep::features {
// "cpu", "auto" (cuda:<local_rank> when LibTorch sees a GPU, else cpu), "cuda", "cuda:N".
// Throws BackboneError when a CUDA device is requested and none is usable.
torch::Device resolve_device(const DeviceOptions& options);
}  // namespace gensweep::features
