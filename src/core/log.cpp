#include "gensweep/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace gensweep::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
int g_rank = 0;
int g_size = 1;
std::mutex g_mutex;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warning";
    case Level::kError:
      return "error";
    default:
      return "";
  }
}
}  // namespace

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}
void set_rank(int rank, int size) {
  g_rank = rank;
  g_size = size;
}

void write(Level level, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_size > 1) {
    fmt::print(stderr, "gensweep [rank {}] {}: {}\n", g_rank, level_name(level), message);
  } else {
    fmt::print(stderr, "gensweep {}: {}\n", level_name(level), message);
  }
  std::fflush(stderr);
}

}  // namespace gensweep::log
