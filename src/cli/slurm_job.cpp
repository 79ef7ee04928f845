#include "slurm_job.h"

namespace gensweep::cli {

std::vector<std::string> submitted_ids(const slurm::Submission& submission) {
  std::vector<std::string> ids;
  if (!submission.extract_job_id.empty()) ids.push_back(submission.extract_job_id);
  if (!submission.reduce_job_id.empty()) ids.push_back(submission.reduce_job_id);
  return ids;
}

std::vector<slurm::JobState> active_jobs(const std::filesystem::path& output_dir) {
  std::vector<std::string> ids;
  for (const auto& s : slurm::read_submissions(output_dir)) {
    auto mine = submitted_ids(s);
    ids.insert(ids.end(), mine.begin(), mine.end());
  }
  std::vector<slurm::JobState> active;
  for (const auto& [id, job] : slurm::query_jobs(ids))
    if (slurm::is_active(job)) active.push_back(job);
  return active;
}

}  // namespace gensweep::cli
