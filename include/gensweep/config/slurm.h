#pragma once
// Slurm settings: how `gensweep submit` asks a cluster for resources. Clusters differ, so the
// settings come in layers, later ones winning key by key:
//   built-in defaults < site preset ([sites.<name>] in configs/sites.toml) < the job's [slurm]
//   table < command-line options.
// Every value is checked when it is read (a partition is a Slurm name, a time limit a Slurm time),
// so nothing that reaches sbatch can be mistaken for another option or a shell word.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/source_location.h"

namespace gensweep::config {

// The file of site presets inside a presets directory (next to backbones.toml).
inline constexpr std::string_view kSitesFileName = "sites.toml";

// One layer: only the keys it sets.
struct SlurmOptions {
  std::optional<std::string> partition, account, qos;  // Slurm names; "" = the cluster default
  std::optional<std::string> time;          // extraction element limit, Slurm format "HH:MM:SS"...
  std::optional<std::string> reduce_time;   // reduction job limit
  std::optional<int> nodes;                 // nodes per extraction element
  std::optional<int> tasks_per_node;        // MPI ranks per node
  std::optional<int> cpus_per_task;         // 0 = not asked
  std::optional<int> gpus_per_task;         // 0 = none
  std::optional<int> reduce_tasks;          // MPI ranks of the reduction job (one node)
  std::optional<int> reduce_cpus_per_task;  // 0 = not asked
  std::optional<int> array_throttle;        // at most this many elements at once; 0 = no limit
  std::optional<int> signal_seconds;        // SIGUSR1 this long before the time limit
  std::optional<bool> requeue;              // requeue an element stopped by that signal
  std::optional<std::string> launcher;      // "srun" (srun --mpi=pmix) or "mpirun"
  std::optional<std::vector<std::string>> sbatch_options;  // more sbatch options, each "--x[=v]"
};

// All layers resolved.
struct SlurmSettings {
  std::string site;  // the preset used; "" = none
  std::string partition, account, qos;
  std::string time = "04:00:00";
  std::string reduce_time = "01:00:00";
  int nodes = 1;
  int tasks_per_node = 1;
  int cpus_per_task = 0;
  int gpus_per_task = 0;
  int reduce_tasks = 1;
  int reduce_cpus_per_task = 0;
  int array_throttle = 0;
  int signal_seconds = 300;
  bool requeue = true;
  std::string launcher = "srun";
  std::vector<std::string> sbatch_options;
};

// The job's [slurm] table (absent: nothing set): `site` names a preset, the rest are options.
struct SlurmSection {
  std::string site;
  SlurmOptions options;
  SourceLocation where;
};

// Checks of single values, shared by the file readers and the command line. Each returns "" when
// the value is fine, else what was expected.
std::string check_slurm_name(std::string_view value);  // [A-Za-z0-9_.:+,-]*, or empty
std::string check_slurm_time(std::string_view value);  // minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S
std::string check_sbatch_option(std::string_view value);
std::string check_launcher(std::string_view value);
// A Slurm time in seconds (the value must pass check_slurm_time).
long slurm_time_seconds(std::string_view value);

// The names of the presets in a sites file, and one of them as a layer. Errors name
// file:line:column; an unknown site suggests the closest name.
std::vector<std::string> list_sites(std::string_view sites_text,
                                    const std::filesystem::path& sites_file);
SlurmOptions load_site(std::string_view sites_text, const std::filesystem::path& sites_file,
                       std::string_view site);

// defaults < layers in order. Throws ConfigError when the combination is impossible (the signal
// comes before the start of the job: signal_seconds >= time).
SlurmSettings resolve_slurm_settings(std::string site, const std::vector<SlurmOptions>& layers);

}  // namespace gensweep::config
