#pragma once
namespace gensweep::features {
// Sets LibTorch's intra-op threads (once per process; later calls with the same value are free).
// Inter-op threads are fixed to 1: ranks, not torch, provide parallelism across work.
void configure_torch_threads(int threads);
}  // namespace gensweep::features
