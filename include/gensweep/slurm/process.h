#pragma once
// Running Slurm's client commands (sbatch, squeue, scontrol, sacct) without a shell: arguments are
// passed as they are, so no value is ever parsed by a shell.

#include <string>
#include <vector>

namespace gensweep::slurm {

struct ProcessResult {
  int exit_code = 0;  // 127 when the program could not be started
  std::string out;    // standard output
  std::string err;    // standard error
};

// Runs argv[0] (looked up on PATH) with argv; waits for it. Never throws for a failing command:
// the caller decides what a failure means.
ProcessResult run_process(const std::vector<std::string>& argv);

// Whether `program` is an executable on PATH.
bool on_path(const std::string& program);

}  // namespace gensweep::slurm
