// The private Slurm cluster runs what gensweep's batch scripts do: a 2-task batch job that starts
// gensweep as 2 MPI ranks, with mpirun (Open MPI reads the Slurm allocation) and with
// srun --mpi=pmix (the cluster's MpiDefault). Submitted with sbatch, waited for by polling
// scontrol.
//
// `gensweep --version` prints on rank 0 only: exactly one version line shows the two ranks formed
// one MPI world of size 2 (two ranks that failed to find each other would each be rank 0 of 1
// and print twice). A per-task echo shows that two tasks ran.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "slurm_support.h"
#include "test_util.h"

namespace gensweep::testing::slurm {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The version line of gensweep run directly, without MPI launcher or Slurm.
std::string expected_version_line() {
  const CommandOutput direct = run_command({GENSWEEP_BINARY, "--version"});
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  const auto lines = lines_of(direct.out);
  EXPECT_EQ(lines.size(), 1u) << direct.out;
  const std::string line = lines.empty() ? "" : lines[0];
  EXPECT_EQ(line.rfind(std::string("gensweep ") + GENSWEEP_VERSION + " (", 0), 0u) << line;
  return line;
}

// Submits `script` as a 2-task batch job, waits, and returns its output's lines with the per-task
// lines ("task R of N", in any order) sorted after the others.
std::vector<std::string> run_two_task_job(const std::string& script) {
  TempDir dir("gensweep-slurm-smoke");
  const auto output = dir / "job.out";
  const std::string id = submit({"--ntasks=2", "--job-name=gensweep-smoke", "--time=5",
                                 "--output=" + output.string(), "--wrap=" + script});
  if (id.empty()) return {};
  const auto records = wait_for_job(id, std::chrono::seconds(90));
  EXPECT_EQ(records.size(), 1u);
  for (const auto& record : records) {
    EXPECT_EQ(record.state, "COMPLETED") << record.text << "\noutput:\n" << read_text(output);
    EXPECT_EQ(record.exit_code, "0:0") << record.text;
  }
  auto lines = lines_of(read_text(output));
  std::stable_partition(lines.begin(), lines.end(),
                        [](const std::string& l) { return l.rfind("task ", 0) != 0; });
  std::sort(std::find_if(lines.begin(), lines.end(),
                         [](const std::string& l) { return l.rfind("task ", 0) == 0; }),
            lines.end());
  return lines;
}

TEST(SlurmSmoke, ClusterIsTheFixtures) {
  // Every Slurm command of these tests must reach the fixture's cluster, not a system one.
  const char* conf = std::getenv("SLURM_CONF");
  ASSERT_NE(conf, nullptr) << "SLURM_CONF is not set (the slurm_cluster fixture sets it)";
  EXPECT_EQ(std::filesystem::path(conf), cluster_root() / "slurm.conf");
  const CommandOutput ping = run_command({"scontrol", "ping"});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_NE(ping.out.find("is UP"), std::string::npos) << ping.out;
}

TEST(SlurmSmoke, MpirunInABatchJobStartsTwoRanksOfOneWorld) {
  const std::string version = expected_version_line();
  // Tests run as root in CI containers; OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) come with the test's
  // environment, which sbatch passes on to the job.
  const std::string mpirun = std::string(GENSWEEP_MPIEXEC).empty() ? "mpirun" : GENSWEEP_MPIEXEC;
  const auto lines =
      run_two_task_job(mpirun + " -n 2 " + GENSWEEP_BINARY + " --version && " + mpirun +
                       " -n 2 sh -c 'echo task $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE'");
  EXPECT_EQ(lines, (std::vector<std::string>{version, "task 0 of 2", "task 1 of 2"}));
}

// One step: a second srun right after a gensweep step can find the CPUs not yet released
// ("step creation temporarily disabled, retrying") and wait seconds for them.
TEST(SlurmSmoke, SrunWithPmixStartsTwoRanksOfOneWorld) {
  const std::string version = expected_version_line();
  const auto lines = run_two_task_job(std::string("srun --mpi=pmix sh -c '") + GENSWEEP_BINARY +
                                      " --version && echo task $SLURM_PROCID of $SLURM_NTASKS'");
  EXPECT_EQ(lines, (std::vector<std::string>{version, "task 0 of 2", "task 1 of 2"}));
}

}  // namespace
}  // namespace gensweep::testing::slurm
