// gensweep: the command-line entry point. The one place that catches everything: errors become a
// message on stderr and a documented exit code, and under MPI a failure outside a collective phase
// aborts the whole job so no rank hangs.
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "gensweep/core/allocator.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/version.h"
#include "gensweep/dist/comm.h"

namespace {

constexpr const char* kHelp =
    R"(gensweep {} - distributed benchmark runner for generative image models

usage: gensweep COMMAND [options]     (gensweep COMMAND --help for details)

commands:
  run JOB            extract every store the job needs, compute its metrics, write and print
                     the result tables
  extract JOB        extract (or resume) the job's feature stores only
  reduce JOB         compute the job's metrics from finished stores
  validate JOB       check a job file; print its resolved form and config hash
  inspect STORE      show a feature store's shape, provenance, progress and failures
  export STORE       its statistics as pytorch-fid's .npz, its features as .npy
  compare REF EVAL   compare two image sets (folders, .zip, .tar, .npz batches, .h5:/images),
                     stores, feature files (.npy, .h5:/dataset) or statistics files (.npz with
                     mu and sigma, .pkl, .pt)
  render JOB DATASET DIR
                     a dataset's images as PNG files, distortions applied (what backbones see)
  submit JOB         submit the job to Slurm: an array of extraction jobs for unfinished
                     stores, then a reduction job that depends on it
  status JOB         stores (complete, partial, failed and why), results and Slurm jobs

Run alone, or under mpirun / srun to share the work across ranks.

exit codes:
  0   success
  2   usage error (bad command line)
  3   job file or preset error (file:line:column in the message)
  4   input error: unreadable files, too many images that failed to decode
  5   store error: damaged, foreign or mismatching feature store
  6   backbone error: weights, network or device
  7   numerical error: non-finite features, impossible decomposition
  8   error on another MPI rank or in communication
  9   Slurm missing, unreachable or refusing a submission
  10  data error: the data cannot support the computation asked (too few rows for k,
      mismatching feature dimensions, a subset larger than its set)
  70  internal error (a bug: please report it)
  75  interrupted by SIGTERM/SIGUSR1/SIGINT after saving finished work: run again to resume
)";

}  // namespace

// libgomp (LibTorch's OpenMP) reads OMP_WAIT_POLICY when it is loaded, before main(). Its default
// busy-waits after every parallel region, which starves the decode threads that run between
// forward passes (measured: demo extraction 39 s -> 28 s with PASSIVE). So when the user has not
// chosen a policy, set PASSIVE and re-execute once.
void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);
  // execv failed: carry on with the active policy (slower, same results).
}

int main(int argc, char** argv) {
  ensure_passive_openmp(argv);
  // Before anything allocates: LibTorch's large buffers are then reused instead of being unmapped
  // and faulted back in on every batch (core/allocator.h).
  gensweep::keep_freed_memory_for_reuse();
  std::unique_ptr<gensweep::dist::Environment> env;
  try {
    env = std::make_unique<gensweep::dist::Environment>(&argc, &argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gensweep: cannot start MPI: {}\n", e.what());
    return gensweep::exit_code_for(gensweep::ErrorKind::kComm);
  }
  auto& comm = env->world();
  gensweep::log::set_rank(comm.rank(), comm.size());
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (comm.is_root()) fmt::print(kHelp, gensweep::tool_version());
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    if (comm.is_root())
      fmt::print("gensweep {} ({})\n", gensweep::tool_version(), gensweep::git_commit());
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "run" || command == "extract" || command == "reduce") {
      return gensweep::cli::command_run(command, args, comm);
    }
    if (command == "validate") return gensweep::cli::command_validate(args, comm);
    if (command == "inspect") return gensweep::cli::command_inspect(args, comm);
    if (command == "export") return gensweep::cli::command_export(args, comm);
    if (command == "compare") return gensweep::cli::command_compare(args, comm);
    if (command == "render") return gensweep::cli::command_render(args, comm);
    if (command == "submit") return gensweep::cli::command_submit(args, comm);
    if (command == "status") return gensweep::cli::command_status(args, comm);
    throw gensweep::UsageError(fmt::format("unknown command '{}' (see gensweep --help)", command));
  } catch (const gensweep::Error& e) {
    // CommError messages already carry each failing rank's text; print them once, on rank 0.
    if (e.kind() != gensweep::ErrorKind::kComm || comm.is_root()) {
      gensweep::log::error("{}", e.what());
    }
    return gensweep::exit_code_for(e.kind());
  } catch (const std::exception& e) {
    gensweep::log::error("internal error: {}", e.what());
    // Outside a collective phase other ranks may be waiting: end them all.
    if (comm.size() > 1) comm.abort(gensweep::exit_code_for(gensweep::ErrorKind::kInternal));
    return gensweep::exit_code_for(gensweep::ErrorKind::kInternal);
  }
}
