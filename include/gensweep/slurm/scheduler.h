#pragma once
// What gensweep asks of Slurm: submit a batch script, and the state of jobs it submitted. Only the
// client commands are used (sbatch, squeue, sacct), so it works from any login node.

#include <map>
#include <string>
#include <vector>

namespace gensweep::slurm {

// sbatch --parsable ARGS...; returns the job id. Throws SchedulerError with sbatch's own message
// when sbatch is missing or refuses the job.
std::string submit_batch(const std::vector<std::string>& sbatch_args);

struct JobState {
  std::string id;      // "123", or "123_4" for an array element
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... (Slurm's)
  std::string reason;  // why pending or why it ended (Slurm's), "" when none
};

// The states Slurm still knows for these jobs (arrays expanded into elements), by id. Asks squeue
// (jobs in slurmctld's memory), then sacct for the others where accounting is available. Jobs
// Slurm has forgotten are absent. Never throws: an unreachable Slurm gives an empty map and
// `problem` says why.
std::map<std::string, JobState> query_jobs(const std::vector<std::string>& job_ids,
                                           std::string* problem = nullptr);

bool is_active(const JobState& job);  // pending, running, configuring, completing, requeued...

}  // namespace gensweep::slurm
