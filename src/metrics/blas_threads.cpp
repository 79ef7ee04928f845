#include "gensweep/metrics/blas_threads.h"

// OpenBLAS's own API (cblas.h declares it too, but pulling cblas.h in here is not needed).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace gensweep::metrics {

void set_blas_threads(int threads) {
  if (threads > 0 && openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
}

int blas_threads() {
  return openblas_get_num_threads();
}

}  // namespace gensweep::metrics
