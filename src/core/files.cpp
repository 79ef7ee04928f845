#include "gensweep/core/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "gensweep/core/error.h"

namespace gensweep {

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  const std::string label = what.empty() ? "" : fmt::format(" ({})", what);
  std::error_code ec;
  GENSWEEP_CHECK(!std::filesystem::is_directory(path, ec), IoError,
                 "cannot read '{}'{}: it is a directory", path.string(), label);
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  GENSWEEP_CHECK(in.good(), IoError, "cannot read '{}'{}: {}", path.string(), label,
                 errno != 0 ? std::strerror(errno) : "cannot open it");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GENSWEEP_CHECK(!in.bad(), IoError, "cannot read '{}'{}: read error", path.string(), label);
  return text;
}

}  // namespace gensweep
