#include "torch_runtime.h"

#include <ATen/Parallel.h>

#include <mutex>

#include "gensweep/features/backbone.h"

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

void set_intra_op_threads_of_this_thread(int threads) {
  // Unconditionally: at::get_num_threads() is process-wide and may already say `threads` while
  // this thread's OpenMP count (omp_set_num_threads, inside at::set_num_threads) is still the
  // default.
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace gensweep::features
