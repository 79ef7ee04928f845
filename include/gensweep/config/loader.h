#pragma once
// Job files and backbone presets to a validated Job. The job format is documented key by key in
// docs/JOB_FILES.md. Every error is a ConfigError whose message starts with "file:line:column: "
// (just "file: " when the file itself cannot be read).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/job.h"

namespace gensweep::config {

// The presets file inside a presets directory.
inline constexpr std::string_view kPresetsFileName = "backbones.toml";

struct LoadOptions {
  // Where backbone presets live (a directory holding backbones.toml) when the job does not say
  // ([job] presets). Empty: none.
  std::filesystem::path presets_dir;
  // Metric names a comparison may ask for; the metrics table lives in the metrics module.
  std::vector<std::string> known_metrics = {"fd"};
  // Parameters those metrics take (a comparison's `parameters` table is checked against them).
  std::vector<ParameterSpec> metric_parameters;
  // Check that folders, feature files and weights exist. Ranks other than 0 parse texts that rank 0
  // already checked, on file systems that may not be mounted the same way: they pass false.
  bool check_paths = true;
};

// The raw texts a job needs, as rank 0 reads them before broadcasting.
struct JobTexts {
  std::string job_text;
  std::filesystem::path presets_file;  // absolute; empty when there is no presets location
  std::string presets_text;            // empty when presets_file is empty or does not exist
};

// Reads the job file and the presets file it uses ([job] presets, else options.presets_dir).
JobTexts read_job_texts(const std::filesystem::path& job_file, const LoadOptions& options);

// read_job_texts + parse_job.
Job load_job(const std::filesystem::path& job_file, const LoadOptions& options);

// Parses texts already read. job_file and presets_file name the files in messages and anchor
// relative paths (relative ones are taken against the current directory). The presets text is only
// parsed when a backbone names a preset.
Job parse_job(std::string_view job_text, const std::filesystem::path& job_file,
              std::string_view presets_text, const std::filesystem::path& presets_file,
              const LoadOptions& options);

}  // namespace gensweep::config
