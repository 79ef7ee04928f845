#include "gensweep/slurm/scheduler.h"

#include <fmt/format.h>

#include <set>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "gensweep/slurm/process.h"

namespace gensweep::slurm {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  return text;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

}  // namespace

std::string submit_batch(const std::vector<std::string>& sbatch_args) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), sbatch_args.begin(), sbatch_args.end());
  GENSWEEP_CHECK(on_path("sbatch"), SchedulerError,
                 "sbatch is not on PATH: gensweep submit runs on a Slurm login node (use "
                 "--dry-run to see what would be submitted)");
  const ProcessResult r = run_process(argv);
  GENSWEEP_CHECK(r.exit_code == 0, SchedulerError, "sbatch refused the job (exit {}): {}",
                 r.exit_code, trimmed(r.err + r.out));
  // --parsable prints "jobid" or "jobid;cluster".
  std::string id = trimmed(r.out);
  id = id.substr(0, id.find(';'));
  GENSWEEP_CHECK(!id.empty() && id.find_first_not_of("0123456789") == std::string::npos,
                 SchedulerError, "sbatch printed no job id: '{}'", trimmed(r.out));
  return id;
}

std::map<std::string, JobState> query_jobs(const std::vector<std::string>& job_ids,
                                           std::string* problem) {
  std::map<std::string, JobState> jobs;
  if (job_ids.empty()) return jobs;
  if (!on_path("squeue")) {
    if (problem) *problem = "squeue is not on PATH";
    return jobs;
  }
  // -r: one line per array element; -t all: finished jobs slurmctld still remembers (MinJobAge).
  ProcessResult r =
      run_process({"squeue", "-h", "-r", "-t", "all", "-j", joined(job_ids), "-o", "%i|%T|%r"});
  if (r.exit_code == 0) {
    for (const auto& line : split(r.out, '\n')) {
      auto fields = split(line, '|');
      if (fields.size() < 3) continue;
      JobState job{fields[0], fields[1], fields[2] == "None" ? "" : fields[2]};
      jobs[job.id] = job;
    }
  } else if (problem) {
    // squeue rejects the whole query when every id is unknown to slurmctld ("Invalid job id").
    if (r.err.find("Invalid job id") == std::string::npos) *problem = trimmed(r.err);
  }
  // Accounting (slurmdbd) remembers finished jobs for longer; without it sacct fails, quietly.
  if (on_path("sacct")) {
    ProcessResult a =
        run_process({"sacct", "-n", "-P", "-X", "-j", joined(job_ids), "-o", "JobID,State,Reason"});
    if (a.exit_code == 0) {
      for (const auto& line : split(a.out, '\n')) {
        auto fields = split(line, '|');
        if (fields.size() < 2 || fields[0].empty() || jobs.count(fields[0])) continue;
        // sacct writes "CANCELLED by 0": keep the state word.
        JobState job{fields[0], split(fields[1], ' ').front(),
                     fields.size() > 2 && fields[2] != "None" ? fields[2] : ""};
        jobs[job.id] = job;
      }
    }
  }
  return jobs;
}

bool is_active(const JobState& job) {
  static const std::set<std::string> kActive = {
      "PENDING",     "RUNNING",  "CONFIGURING", "COMPLETING", "REQUEUED",  "REQUEUE_HOLD",
      "REQUEUE_FED", "RESIZING", "SUSPENDED",   "STAGE_OUT",  "SIGNALING", "RESV_DEL_HOLD"};
  return kActive.count(job.state) > 0;
}

}  // namespace gensweep::slurm
