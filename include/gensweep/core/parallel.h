#pragma once
// parallel_for over [0, n) on `threads` std::threads (the calling thread included). The first
// exception thrown by any iteration is rethrown on the calling thread after all threads joined.

#include <cstdint>
#include <functional>

namespace gensweep {
void parallel_for(std::int64_t n, int threads, const std::function<void(std::int64_t)>& body);
}
