#include "test_util.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

namespace gensweep::testing {

TempDir::TempDir(const std::string& prefix) {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = base / (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("GENSWEEP_SHARED_DIR"); env && *env) return env;
  std::filesystem::path p = GENSWEEP_SHARED_DIR;
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

std::filesystem::path source_dir() {
  return GENSWEEP_SOURCE_DIR;
}
std::filesystem::path test_data_dir() {
  return GENSWEEP_TEST_DATA_DIR;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace gensweep::testing
