#include "gensweep/core/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace gensweep {
namespace {

// Whether the user chose this malloc parameter through the environment: its MALLOC_* variable or
// its glibc.malloc.* tunable. glibc applies both before main(); a mallopt call would override them.
bool user_set(const char* variable, const char* tunable) {
  if (std::getenv(variable) != nullptr) return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && std::strstr(tunables, tunable) != nullptr;
}

}  // namespace

void keep_freed_memory_for_reuse() {
  // No mmap'ed chunks: large buffers come from the heap and go back to it when freed.
  if (!user_set("MALLOC_MMAP_MAX_", "glibc.malloc.mmap_max")) mallopt(M_MMAP_MAX, 0);
  // Never give the top of the heap back to the kernel (the next batch needs it again).
  if (!user_set("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold")) {
    mallopt(M_TRIM_THRESHOLD, -1);  // (size_t)-1 as glibc reads it: never trim
  }
  // One arena for every thread: a thread arena's heaps are capped at 64 MiB, so threads running
  // forward passes of their own would mmap (and unmap) their large buffers whatever M_MMAP_MAX
  // says. Small allocations still go through each thread's cache without taking the arena lock.
  if (!user_set("MALLOC_ARENA_MAX", "glibc.malloc.arena_max")) mallopt(M_ARENA_MAX, 1);
}

}  // namespace gensweep
