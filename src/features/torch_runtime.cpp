#include "torch_runtime.h"

#include <ATen/Parallel.h>

#include <mutex>

namespace gensweep::features {

void configure_torch_threads(int threads) {
  static std::once_flag interop_once;
  std::call_once(interop_once, [] {
    // Must happen before any inter-op work starts; may only be set once per process.
    try {
      at::set_num_interop_threads(1);
    } catch (...) {
    }
  });
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

}  // namespace gensweep::features
