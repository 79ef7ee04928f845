#include "gensweep/slurm/sbatch_arguments.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"

namespace gensweep::slurm {
namespace {

// sbatch options shared by both jobs.
void add_common_options(std::vector<std::string>& argv, const config::SlurmSettings& s) {
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  if (!s.qos.empty()) argv.push_back("--qos=" + s.qos);
}

}  // namespace

std::string log_pattern(const std::filesystem::path& submission_dir, const std::string& file) {
  std::string dir;
  for (char c : (submission_dir / "logs").string()) {
    if (c == '%') dir += '%';
    dir += c;
  }
  return dir + "/" + file;
}

std::vector<std::string> extraction_arguments(const config::SlurmSettings& settings,
                                              const SbatchTarget& target, std::size_t elements) {
  GENSWEEP_ASSERT(elements > 0, "an extraction array needs at least one element");
  const auto& dir = target.submission_dir;
  std::vector<std::string> ex = {
      "--job-name=gensweep-" + target.job_name + "-extract",
      fmt::format("--array=0-{}{}", elements - 1,
                  settings.array_throttle > 0 ? fmt::format("%{}", settings.array_throttle) : ""),
      "--chdir=" + dir.string(),
      "--output=" + log_pattern(dir, "extract-%A_%a.out"),
      fmt::format("--nodes={}", settings.nodes),
      fmt::format("--ntasks-per-node={}", settings.tasks_per_node),
      "--time=" + settings.time,
      fmt::format("--signal=B:USR1@{}", settings.signal_seconds),
      settings.requeue ? "--requeue" : "--no-requeue"};
  if (settings.cpus_per_task > 0)
    ex.push_back(fmt::format("--cpus-per-task={}", settings.cpus_per_task));
  if (settings.gpus_per_task > 0)
    ex.push_back(fmt::format("--gpus-per-task={}", settings.gpus_per_task));
  add_common_options(ex, settings);
  ex.insert(ex.end(), settings.sbatch_options.begin(), settings.sbatch_options.end());
  ex.push_back((dir / "extract.sbatch").string());
  return ex;
}

std::vector<std::string> reduction_arguments(const config::SlurmSettings& settings,
                                             const SbatchTarget& target) {
  const auto& dir = target.submission_dir;
  std::vector<std::string> re = {"--job-name=gensweep-" + target.job_name + "-reduce",
                                 "--chdir=" + dir.string(),
                                 "--output=" + log_pattern(dir, "reduce-%j.out"),
                                 "--nodes=1",
                                 fmt::format("--ntasks={}", settings.reduce_tasks),
                                 "--time=" + settings.reduce_time,
                                 "--no-requeue"};
  const long reduce_seconds = config::slurm_time_seconds(settings.reduce_time);
  if (settings.signal_seconds < reduce_seconds)
    re.push_back(fmt::format("--signal=B:USR1@{}", settings.signal_seconds));
  if (settings.reduce_cpus_per_task > 0)
    re.push_back(fmt::format("--cpus-per-task={}", settings.reduce_cpus_per_task));
  add_common_options(re, settings);
  re.insert(re.end(), settings.sbatch_options.begin(), settings.sbatch_options.end());
  re.push_back((dir / "reduce.sbatch").string());
  return re;
}

std::vector<std::string> with_array_dependency(std::vector<std::string> arguments,
                                               const std::string& array_id) {
  GENSWEEP_ASSERT(!arguments.empty(), "sbatch arguments without a script");
  arguments.insert(arguments.end() - 1,
                   {"--dependency=afterok:" + array_id, "--kill-on-invalid-dep=yes"});
  return arguments;
}

}  // namespace gensweep::slurm
