#pragma once
// Crash-safe file replacement: every report file is written under a temporary name in the target's
// directory, flushed to disk, then renamed over the target. A reader (or a run killed by Slurm at
// its time limit) sees the old file or the complete new one, never half a file.

#include <filesystem>
#include <string_view>

namespace gensweep::report {

// Writes `content` to `path` atomically. The directory must exist. Throws IoError naming the path
// and the system's reason; on failure the temporary file is removed and `path` is untouched.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace gensweep::report
