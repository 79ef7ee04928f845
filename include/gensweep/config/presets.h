#pragma once
// Backbone presets: named, reviewed backbone settings in configs/backbones.toml, so job files say
// `preset = "pixels-32"` instead of repeating preprocessing details.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::config {

// Names of the presets in a presets file's text, in file order. Throws ConfigError on a TOML
// syntax error or a file that is not a table of [presets.<name>] tables.
std::vector<std::string> list_presets(std::string_view presets_text,
                                      const std::filesystem::path& presets_file);

}  // namespace gensweep::config
