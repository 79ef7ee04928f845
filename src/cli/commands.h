#pragma once
// The subcommands of `gensweep`. Each returns the process exit code; errors are thrown and mapped
// to exit codes by main().

#include <string>
#include <vector>

#include "gensweep/config/job.h"
#include "gensweep/dist/comm.h"

namespace gensweep::cli {

int command_run(const std::string& name, const std::vector<std::string>& args, dist::Comm& comm);
int command_validate(const std::vector<std::string>& args, dist::Comm& comm);
int command_inspect(const std::vector<std::string>& args, dist::Comm& comm);
int command_export(const std::vector<std::string>& args, dist::Comm& comm);
int command_compare(const std::vector<std::string>& args, dist::Comm& comm);
int command_render(const std::vector<std::string>& args, dist::Comm& comm);

int command_submit(const std::vector<std::string>& args, dist::Comm& comm);
int command_status(const std::vector<std::string>& args, dist::Comm& comm);

// Reads and checks a job file on rank 0 and hands the same job to every rank (ConfigError on
// every rank when it is wrong). presets_dir "" means default_presets_dir().
config::Job load_job(const std::string& job_file, const std::string& presets_dir, dist::Comm& comm);

// The default presets directory: $GENSWEEP_CONFIG_DIR, else configs/ next to the build tree or
// the installed share/gensweep/configs.
std::string default_presets_dir();
// Where the sbatch templates live: $GENSWEEP_SLURM_DIR, else slurm/ next to the build tree or the
// installed share/gensweep/slurm.
std::string default_templates_dir();

}  // namespace gensweep::cli
