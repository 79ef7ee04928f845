#pragma once
// Reading a whole file: the one helper every module uses, so every "cannot read" message has the
// same shape: "cannot read 'PATH' (what): reason".

#include <filesystem>
#include <string>

namespace gensweep {

// The bytes of `path`. Throws IoError naming the path, `what` it is (e.g. "job file"; may be
// empty) and the system's reason when it cannot be opened or read.
std::string read_file(const std::filesystem::path& path, const std::string& what = {});

}  // namespace gensweep
