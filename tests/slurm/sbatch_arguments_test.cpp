// The sbatch argument lists of a submission, written out by hand for given settings.
#include "gensweep/slurm/sbatch_arguments.h"

#include <gtest/gtest.h>

namespace gensweep::slurm {
namespace {

using Args = std::vector<std::string>;

SbatchTarget target() {
  return {"sweep", "/runs/out/slurm/20261207-120000"};
}

TEST(SbatchArguments, ExtractionArrayWithDefaultSettings) {
  config::SlurmSettings s;  // 04:00:00, 1 node, 1 task per node, signal 300 s, requeue
  EXPECT_EQ(extraction_arguments(s, target(), 4),
            (Args{"--job-name=gensweep-sweep-extract", "--array=0-3",
                  "--chdir=/runs/out/slurm/20261207-120000",
                  "--output=/runs/out/slurm/20261207-120000/logs/extract-%A_%a.out", "--nodes=1",
                  "--ntasks-per-node=1", "--time=04:00:00", "--signal=B:USR1@300", "--requeue",
                  "/runs/out/slurm/20261207-120000/extract.sbatch"}));
}

TEST(SbatchArguments, ExtractionArrayWithEverySetting) {
  config::SlurmSettings s;
  s.partition = "gpu";
  s.account = "proj42";
  s.qos = "high";
  s.time = "1-00:00:00";
  s.nodes = 2;
  s.tasks_per_node = 4;
  s.cpus_per_task = 8;
  s.gpus_per_task = 1;
  s.array_throttle = 8;
  s.signal_seconds = 600;
  s.requeue = false;
  s.sbatch_options = {"--exclusive", "--mem=0"};
  EXPECT_EQ(extraction_arguments(s, target(), 4),
            (Args{"--job-name=gensweep-sweep-extract", "--array=0-3%8",
                  "--chdir=/runs/out/slurm/20261207-120000",
                  "--output=/runs/out/slurm/20261207-120000/logs/extract-%A_%a.out", "--nodes=2",
                  "--ntasks-per-node=4", "--time=1-00:00:00", "--signal=B:USR1@600", "--no-requeue",
                  "--cpus-per-task=8", "--gpus-per-task=1", "--partition=gpu", "--account=proj42",
                  "--qos=high", "--exclusive", "--mem=0",
                  "/runs/out/slurm/20261207-120000/extract.sbatch"}));
}

TEST(SbatchArguments, OneElementArray) {
  config::SlurmSettings s;
  EXPECT_EQ(extraction_arguments(s, target(), 1)[1], "--array=0-0");
}

TEST(SbatchArguments, ReductionWithDefaultSettings) {
  config::SlurmSettings s;  // 01:00:00, 1 rank
  EXPECT_EQ(reduction_arguments(s, target()),
            (Args{"--job-name=gensweep-sweep-reduce", "--chdir=/runs/out/slurm/20261207-120000",
                  "--output=/runs/out/slurm/20261207-120000/logs/reduce-%j.out", "--nodes=1",
                  "--ntasks=1", "--time=01:00:00", "--no-requeue", "--signal=B:USR1@300",
                  "/runs/out/slurm/20261207-120000/reduce.sbatch"}));
}

TEST(SbatchArguments, ReductionWithEverySetting) {
  config::SlurmSettings s;
  s.partition = "cpu";
  s.account = "proj42";
  s.reduce_time = "30";  // minutes
  s.reduce_tasks = 3;
  s.reduce_cpus_per_task = 2;
  s.signal_seconds = 120;
  s.sbatch_options = {"--mem=64G"};
  EXPECT_EQ(reduction_arguments(s, target()),
            (Args{"--job-name=gensweep-sweep-reduce", "--chdir=/runs/out/slurm/20261207-120000",
                  "--output=/runs/out/slurm/20261207-120000/logs/reduce-%j.out", "--nodes=1",
                  "--ntasks=3", "--time=30", "--no-requeue", "--signal=B:USR1@120",
                  "--cpus-per-task=2", "--partition=cpu", "--account=proj42", "--mem=64G",
                  "/runs/out/slurm/20261207-120000/reduce.sbatch"}));
}

TEST(SbatchArguments, NoSignalWhenItWouldComeAtTheStartOfTheReduction) {
  config::SlurmSettings s;
  s.reduce_time = "00:05:00";
  s.signal_seconds = 300;
  const Args re = reduction_arguments(s, target());
  for (const auto& a : re)
    EXPECT_EQ(a.rfind("--signal", 0), std::string::npos) << a;
  EXPECT_EQ(re.size(), 8u);
}

TEST(SbatchArguments, DependencyGoesBeforeTheScript) {
  EXPECT_EQ(with_array_dependency({"--nodes=1", "--no-requeue", "/x/reduce.sbatch"}, "123"),
            (Args{"--nodes=1", "--no-requeue", "--dependency=afterok:123",
                  "--kill-on-invalid-dep=yes", "/x/reduce.sbatch"}));
}

TEST(SbatchArguments, PercentInTheSubmissionDirectoryIsEscapedInLogPatterns) {
  EXPECT_EQ(log_pattern("/runs/100%/slurm/a", "reduce-%j.out"),
            "/runs/100%%/slurm/a/logs/reduce-%j.out");
  const Args ex = extraction_arguments(config::SlurmSettings{}, {"x", "/d%x"}, 2);
  EXPECT_EQ(ex[2], "--chdir=/d%x");
  EXPECT_EQ(ex[3], "--output=/d%%x/logs/extract-%A_%a.out");
}

}  // namespace
}  // namespace gensweep::slurm
