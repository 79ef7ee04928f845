#pragma once
// glibc malloc settings for a process that allocates and frees the same large buffers over and
// over (LibTorch's activations: one forward pass of FID Inception at batch 50 allocates about 2 GiB
// in buffers of up to 280 MB). glibc's defaults hand every buffer above its mmap threshold (at most
// 32 MiB) back to the kernel when it is freed, and the next batch faults the same memory back in,
// page by page: measured, 52 of 70 s of a 200-image extraction were system time. Called first thing
// in main(), so every command gets the fast path without the user setting anything.

namespace gensweep {

// Keeps freed memory in the process for reuse: every allocation comes from the heap (no mmap per
// buffer), the heap is never trimmed, and all threads share one arena (a non-main arena cannot hold
// a buffer above 64 MiB, so concurrent forward passes would mmap theirs again). A setting the user
// made through glibc's environment (MALLOC_MMAP_MAX_, MALLOC_TRIM_THRESHOLD_, MALLOC_ARENA_MAX,
// or the same glibc.malloc.* tunables in GLIBC_TUNABLES) is left as the user set it: the user's
// choice wins over these defaults.
void keep_freed_memory_for_reuse();

}  // namespace gensweep
