// The [slurm] table of a job, site presets (configs/sites.toml), their layering and the checks of
// single values: every wrong value is refused at its file:line:column, naming what was expected.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_fixture.h"
#include "gensweep/config/slurm.h"

namespace gensweep::config::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class SlurmSettingsTest : public ConfigTest {};

TEST_F(SlurmSettingsTest, JobTableIsRead) {
  const Job job = load(minimal_plus(
      "[slurm]\nsite = \"cluster-a\"\npartition = \"gpu,gpu-long\"\naccount = \"proj_1\"\n"
      "time = \"1-12:00:00\"\ntasks_per_node = 4\ngpus_per_task = 1\narray_throttle = 8\n"
      "requeue = false\nlauncher = \"mpirun\"\nsbatch_options = [\"--mem=8G\", "
      "\"--exclusive\"]\n"));
  EXPECT_EQ(job.slurm.site, "cluster-a");
  EXPECT_EQ(job.slurm.options.partition, "gpu,gpu-long");
  EXPECT_EQ(job.slurm.options.account, "proj_1");
  EXPECT_EQ(job.slurm.options.time, "1-12:00:00");
  EXPECT_EQ(job.slurm.options.tasks_per_node, 4);
  EXPECT_EQ(job.slurm.options.gpus_per_task, 1);
  EXPECT_EQ(job.slurm.options.array_throttle, 8);
  EXPECT_EQ(job.slurm.options.requeue, false);
  EXPECT_EQ(job.slurm.options.launcher, "mpirun");
  EXPECT_EQ(job.slurm.options.sbatch_options,
            (std::vector<std::string>{"--mem=8G", "--exclusive"}));
  EXPECT_FALSE(job.slurm.options.qos.has_value());  // unset keys stay unset (a layer)
}

TEST_F(SlurmSettingsTest, NoTableSetsNothing) {
  const Job job = load(kMinimalJob);
  EXPECT_EQ(job.slurm.site, "");
  EXPECT_FALSE(job.slurm.options.time.has_value());
}

TEST_F(SlurmSettingsTest, BadValuesAreRefusedWhereTheyAre) {
  // minimal_plus: the extra text starts on line 23; values start at column 8 for "time = ".
  EXPECT_THAT(error_of(minimal_plus("[slurm]\ntime = \"4h\"\n")),
              AllOf(StartsWith(at(24, 8, "slurm.time: expected a Slurm time limit")),
                    HasSubstr("got \"4h\"")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\npartition = \"gpu; rm -rf /\"\n")),
              AllOf(StartsWith(at(24, 13, "slurm.partition: expected a Slurm name")),
                    HasSubstr("got \"gpu; rm -rf /\"")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\naccount = \"--wrap=x\"\n")),
              StartsWith(at(24, 11, "slurm.account: expected a Slurm name")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nsbatch_options = [\"--array=0-3\"]\n")),
              AllOf(StartsWith(at(24, 19,
                                  "slurm.sbatch_options[0]: expected an sbatch option "
                                  "other than --array (gensweep submit sets it)"))));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nsbatch_options = [\"-N 2\"]\n")),
              StartsWith(at(24, 19, "slurm.sbatch_options[0]: expected an sbatch long option")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nsbatch_options = [\"--comment=a\\nb\"]\n")),
              StartsWith(at(24, 19, "slurm.sbatch_options[0]: expected an sbatch long option")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nlauncher = \"mpiexec\"\n")),
              StartsWith(at(24, 12, "slurm.launcher: expected \"srun\"")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nrequeue = \"yes\"\n")),
              StartsWith(at(24, 11, "slurm.requeue: expected a boolean")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nnodes = 0\n")),
              StartsWith(at(24, 9, "slurm.nodes: expected an integer in 1..100000")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\npartion = \"gpu\"\n")),
              StartsWith(at(24, 1, "slurm.partion: unknown key (did you mean \"partition\"?)")));
  EXPECT_THAT(error_of(minimal_plus("[slurm]\nsite = \"My Site\"\n")),
              StartsWith(at(24, 8, "slurm.site: invalid name")));
}

TEST_F(SlurmSettingsTest, TimeFormatsInSeconds) {
  // sbatch --time's formats, as closed forms.
  EXPECT_EQ(slurm_time_seconds("90"), 90 * 60);                // minutes
  EXPECT_EQ(slurm_time_seconds("1:30"), 90);                   // minutes:seconds
  EXPECT_EQ(slurm_time_seconds("01:02:03"), 3723);             // hours:minutes:seconds
  EXPECT_EQ(slurm_time_seconds("2-3"), 2 * 86400 + 3 * 3600);  // days-hours
  EXPECT_EQ(slurm_time_seconds("1-00:30"), 86400 + 1800);      // days-hours:minutes
  EXPECT_EQ(slurm_time_seconds("1-0:0:5"), 86405);             // days-hours:minutes:seconds
  for (const char* bad : {"", "4h", "1:2:3:4", "-5", "1--2", "00:00:00", "1:2:3 ", "1-2-3"})
    EXPECT_NE(check_slurm_time(bad), "") << bad;
}

TEST_F(SlurmSettingsTest, LayersOverrideKeyByKey) {
  SlurmOptions site, job, command_line;
  site.partition = "gpu";
  site.account = "proj";
  site.time = "10:00:00";
  job.partition = "debug";
  job.tasks_per_node = 4;
  command_line.tasks_per_node = 2;
  command_line.requeue = false;
  const SlurmSettings s = resolve_slurm_settings("a", {site, job, command_line});
  EXPECT_EQ(s.site, "a");
  EXPECT_EQ(s.partition, "debug");  // the job beats the site
  EXPECT_EQ(s.account, "proj");     // the site's, untouched by later layers
  EXPECT_EQ(s.time, "10:00:00");
  EXPECT_EQ(s.tasks_per_node, 2);  // the command line beats the job
  EXPECT_FALSE(s.requeue);
  EXPECT_EQ(s.nodes, SlurmSettings{}.nodes);  // nobody set it: the default
}

TEST_F(SlurmSettingsTest, SignalMustComeBeforeTheLimit) {
  SlurmOptions o;
  o.time = "5";  // 5 minutes
  o.signal_seconds = 300;
  try {
    resolve_slurm_settings("", {o});
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("signal_seconds = 300 is not shorter than the time limit "
                                    "\"5\" (300 s)"));
  }
}

TEST_F(SlurmSettingsTest, SitesFile) {
  const auto file = root() / "sites.toml";
  const std::string text =
      "[sites.alpha]\npartition = \"gpu\"\ntime = \"02:00:00\"\n\n[sites.beta]\nqos = \"low\"\n";
  EXPECT_EQ(list_sites(text, file), (std::vector<std::string>{"alpha", "beta"}));
  const SlurmOptions alpha = load_site(text, file, "alpha");
  EXPECT_EQ(alpha.partition, "gpu");
  EXPECT_EQ(alpha.time, "02:00:00");
  try {
    load_site(text, file, "alpah");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              file.string() + ": unknown site \"alpah\" (did you mean \"alpha\"?)");
  }
  try {
    load_site("[sites.alpha]\ntime = \"soon\"\n", file, "alpha");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(file.string() + ":2:8: sites.alpha.time: expected a Slurm "
                                                     "time limit"));
  }
}

TEST_F(SlurmSettingsTest, ShippedSitesResolve) {
  const auto file = ::gensweep::testing::source_dir() / "configs" / "sites.toml";
  const std::string text = ::gensweep::testing::read_text(file);
  const auto names = list_sites(text, file);
  EXPECT_THAT(names, ::testing::Contains("local"));  // the tests' cluster
  for (const auto& name : names) {
    const SlurmSettings s = resolve_slurm_settings(name, {load_site(text, file, name)});
    EXPECT_EQ(check_slurm_time(s.time), "") << name;
    EXPECT_EQ(check_launcher(s.launcher), "") << name;
  }
}

}  // namespace
}  // namespace gensweep::config::testing
