#pragma once
// Backbone presets: named, reviewed backbone settings in configs/backbones.toml, so job files say
// `preset = "pixels-32"` instead of repeating preprocessing details.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::config {

// Names of the presets in a presets file's text, in file order. Throws ConfigError on a TOML
// syntax error or a file that is not a table of [presets.<name>] tables.
std::vector<std::string> list_presets(std::string_view presets_text,
                                      const std::filesystem::path& presets_file);

// What a caller that fills in a preset's missing keys needs to know of it (`gensweep compare`
// --backbone with --weights).
struct PresetSummary {
  std::string kind;
  bool takes_weights = false;  // its kind loads a weights file (fid-inception, torchscript)
  bool has_weights = false;    // the preset names that file itself
};

// The preset `name` of a presets file's text, or nullopt when it has none of that name (the job
// loader then says so, with suggestions). Throws ConfigError as list_presets does.
std::optional<PresetSummary> describe_preset(std::string_view presets_text,
                                             const std::filesystem::path& presets_file,
                                             std::string_view name);

}  // namespace gensweep::config
