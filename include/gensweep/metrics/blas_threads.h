#pragma once
// OpenBLAS's thread count, set by the stages that call BLAS/LAPACK.
//
// Why it matters: LAPACK's reductions (dsytrd inside dsyevd, dgesdd) sum in an order that depends
// on the BLAS thread count, so the last bits of an FD change with it (measured: 1e-16 to 3e-9
// relative). The reduce stage therefore computes every published number with exactly one BLAS
// thread: results are bitwise the same on every machine and for every number of ranks. The
// extract stage gives BLAS the rank's threads: LibTorch runs some layers through OpenBLAS, and the
// statistics' dsyrk gave the same bits with 1 and 2 threads when checked during development
// (not a guarantee of OpenBLAS; the rank-invariance test pins compute.threads = 1).

namespace gensweep::metrics {

void set_blas_threads(int threads);
int blas_threads();

// Sets the thread count for a scope and restores the previous one.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads) : previous_(blas_threads()) { set_blas_threads(threads); }
  ~ScopedBlasThreads() { set_blas_threads(previous_); }
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int previous_;
};

}  // namespace gensweep::metrics
