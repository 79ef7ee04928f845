#pragma once
// The sbatch command lines of a submission: the extraction array and the reduction job. Every
// value is one argument (sbatch runs without a shell), the script comes last.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "gensweep/config/slurm.h"

namespace gensweep::slurm {

// What the command lines name besides the settings.
struct SbatchTarget {
  std::string job_name;                  // the gensweep job's name: Slurm jobs "gensweep-NAME-..."
  std::filesystem::path submission_dir;  // working directory; holds the scripts and logs/
};

// An absolute log file pattern: Slurm expands %-sequences in the whole path (a relative one is
// first joined to --chdir), so a '%' of the directory is written "%%".
std::string log_pattern(const std::filesystem::path& submission_dir, const std::string& file);

// The extraction array of `elements` (at least 1) elements, --array=0-(elements-1)[%throttle],
// running submission_dir/extract.sbatch.
std::vector<std::string> extraction_arguments(const config::SlurmSettings& settings,
                                              const SbatchTarget& target, std::size_t elements);

// The reduction job, running submission_dir/reduce.sbatch, without a dependency.
std::vector<std::string> reduction_arguments(const config::SlurmSettings& settings,
                                             const SbatchTarget& target);

// `arguments` (ending with the script) made to start only when every element of the array
// `array_id` succeeded, and to be cancelled when one fails: --dependency=afterok:ID
// --kill-on-invalid-dep=yes, before the script.
std::vector<std::string> with_array_dependency(std::vector<std::string> arguments,
                                               const std::string& array_id);

}  // namespace gensweep::slurm
