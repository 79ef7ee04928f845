#pragma once
// Where a value came from in a job or presets file. Every ConfigError message starts with one, so
// an editor can jump to the offending key.

#include <string>

namespace gensweep::config {

struct SourceLocation {
  std::string file;  // as the caller named it (not made absolute), so messages match what was typed
  int line = 0;      // 1-based; 0 = the file as a whole (a key that is absent, an unreadable file)
  int column = 0;    // 1-based

  // "jobs/demo.toml:12:5", or just "jobs/demo.toml" when line is 0.
  std::string str() const;
};

}  // namespace gensweep::config
