#pragma once
// For tests run against the private Slurm cluster of the `slurm_cluster` CTest fixture
// (tests/slurm/CMakeLists.txt, scripts/slurm-local.sh). SLURM_CONF in the test's environment
// points every Slurm command at that cluster.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace gensweep::testing::slurm {

// The cluster's directory: GENSWEEP_SLURM_ROOT from the environment (the fixture sets it), else
// the one configured at build time.
std::filesystem::path cluster_root();

struct CommandOutput {
  int exit_code = -1;  // 127 when the program could not be started, 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up on PATH) without a shell and waits for it.
CommandOutput run_command(const std::vector<std::string>& argv);

// sbatch --parsable ARGS...: the job id ("123"). On failure the test fails with sbatch's message
// and "" is returned.
std::string submit(const std::vector<std::string>& sbatch_args);

// One record of `scontrol show job`: a job, or one element of an array job.
struct JobRecord {
  std::string id;         // JobId, e.g. "124" (array elements have their own)
  std::string array_id;   // ArrayJobId_ArrayTaskId, e.g. "123_4"; "" for a plain job
  std::string state;      // JobState: COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string exit_code;  // ExitCode, "status:signal", e.g. "0:0"
  std::string text;       // the whole record, for failure messages
};

// Polls `scontrol show job ID` every 50 ms (sbatch --wait polls every 2 s) until every record of
// the job (each element of an array) is in a final state, and returns them. On timeout the test
// fails with the last records seen, which are returned as they are.
std::vector<JobRecord> wait_for_job(const std::string& job_id,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(120));

// Whether Slurm will change this state no more.
bool is_final_state(const std::string& state);

}  // namespace gensweep::testing::slurm
