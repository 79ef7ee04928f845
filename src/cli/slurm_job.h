#pragma once
// What submit and status share: the Slurm jobs recorded under a job's output directory.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gensweep/slurm/scheduler.h"
#include "gensweep/slurm/submission.h"

namespace gensweep::cli {

// The Slurm ids a submission created (the array and the reduction), without empty ones.
std::vector<std::string> submitted_ids(const slurm::Submission& submission);

// The jobs of every submission under `output_dir` that Slurm reports pending or running.
std::vector<slurm::JobState> active_jobs(const std::filesystem::path& output_dir);

}  // namespace gensweep::cli
