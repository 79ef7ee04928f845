// gensweep submit JOB: the job's plan as Slurm jobs. One array element per store that is missing
// or unfinished (complete stores are never submitted again), then one reduction job that starts
// when every element succeeded (--dependency=afterok, cancelled if one fails).
#include <fmt/format.h>

#include <chrono>

#include "args.h"
#include "commands.h"
#include "gensweep/config/loader.h"
#include "gensweep/config/slurm.h"
#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/slurm/scheduler.h"
#include "gensweep/slurm/shell.h"
#include "gensweep/slurm/submission.h"
#include "slurm_job.h"

namespace gensweep::cli {
namespace {

constexpr const char* kHelp = R"(usage: gensweep submit JOB [options]

Submits the job to Slurm: a job array with one element per feature store that is missing or
unfinished (each element an MPI job over its allocation; complete stores are not submitted
again), then a reduction job that runs when every element succeeded (afterok) and writes the
results. Prints the Slurm job ids and where logs and results will appear. Follow it with
`gensweep status JOB`.

Resources come from, later ones winning: built-in defaults, the site preset ([slurm] site, or
--site) in configs/sites.toml, the job's [slurm] table, then these options:
  --site NAME             a [sites.NAME] preset
  --partition P  --account A  --qos Q
  --time T                time limit of each extraction element (Slurm format, e.g. 04:00:00)
  --reduce-time T         time limit of the reduction job
  --nodes N               nodes per extraction element
  --tasks-per-node N      MPI ranks per node
  --cpus-per-task N       CPUs per rank (0: not asked)
  --gpus-per-task N       GPUs per rank (0: none)
  --reduce-tasks N        MPI ranks of the reduction job
  --array-throttle N      at most N elements at once (0: no limit)
  --signal-seconds S      SIGUSR1 S seconds before the limit: save, requeue, resume
  --launcher L            srun (srun --mpi=pmix) or mpirun
  --no-requeue            do not requeue an element stopped before its time limit

other options:
  --dry-run               print what would be submitted; submit and write nothing
  --rebuild               recompute stores that no longer match the job
  --presets DIR           directory holding backbones.toml and sites.toml
  --output DIR            the job's output directory instead of [job] output
  --templates DIR         the sbatch templates (default: slurm/ of this installation)
  --help                  this text

Writes <output>/slurm/<submission>/: the filled-in scripts, the task list, Slurm's logs and a
record read by `gensweep status`. Refuses to submit while jobs of an earlier submission of the same
output directory are pending or running (two jobs must not write one store).
)";

// A sites file or sbatch template that cannot be read is a configuration problem (exit code 3).
std::string read_text(const std::filesystem::path& path, const char* what) {
  try {
    return read_file(path, what);
  } catch (const IoError& e) {
    throw ConfigError(e.what());
  }
}

// The command-line layer of the Slurm settings; each value is checked like the files' values.
config::SlurmOptions command_line_options(const Args& args) {
  config::SlurmOptions o;
  auto name = [&](const char* flag, std::optional<std::string>& into) {
    if (auto v = args.value(flag)) {
      if (auto expected = config::check_slurm_name(*v); !expected.empty())
        throw UsageError(fmt::format("--{}: expected {}, got '{}'", flag, expected, *v));
      into = *v;
    }
  };
  auto time = [&](const char* flag, std::optional<std::string>& into) {
    if (auto v = args.value(flag)) {
      if (auto expected = config::check_slurm_time(*v); !expected.empty())
        throw UsageError(fmt::format("--{}: expected {}, got '{}'", flag, expected, *v));
      into = *v;
    }
  };
  auto count = [&](const char* flag, std::optional<int>& into, int lo) {
    if (args.value(flag)) {
      const auto v = args.int_value(flag, lo);
      GENSWEEP_CHECK(v >= lo && v <= 1000000, UsageError, "--{}: expected an integer >= {}, got {}",
                     flag, lo, v);
      into = static_cast<int>(v);
    }
  };
  name("partition", o.partition);
  name("account", o.account);
  name("qos", o.qos);
  time("time", o.time);
  time("reduce-time", o.reduce_time);
  count("nodes", o.nodes, 1);
  count("tasks-per-node", o.tasks_per_node, 1);
  count("cpus-per-task", o.cpus_per_task, 0);
  count("gpus-per-task", o.gpus_per_task, 0);
  count("reduce-tasks", o.reduce_tasks, 1);
  count("array-throttle", o.array_throttle, 0);
  count("signal-seconds", o.signal_seconds, 0);
  if (auto v = args.value("launcher")) {
    if (auto expected = config::check_launcher(*v); !expected.empty())
      throw UsageError(fmt::format("--launcher: expected {}, got '{}'", expected, *v));
    o.launcher = *v;
  }
  if (args.flag("no-requeue")) o.requeue = false;
  return o;
}

config::SlurmSettings resolve_settings(const config::Job& job, const Args& args,
                                       const std::string& presets_dir) {
  const std::string site = args.value("site").value_or(job.slurm.site);
  std::vector<config::SlurmOptions> layers;
  if (!site.empty()) {
    std::filesystem::path dir = !presets_dir.empty() ? std::filesystem::path(presets_dir)
                                : !job.presets_file.empty()
                                    ? job.presets_file.parent_path()
                                    : std::filesystem::path(default_presets_dir());
    const auto file = dir / config::kSitesFileName;
    std::error_code ec;
    GENSWEEP_CHECK(std::filesystem::exists(file, ec), ConfigError,
                   "site \"{}\" was asked for, but there is no sites file {} (set [job] presets "
                   "or --presets to the folder holding sites.toml)",
                   site, file.string());
    layers.push_back(config::load_site(read_text(file, "sites file"), file, site));
  }
  layers.push_back(job.slurm.options);
  layers.push_back(command_line_options(args));
  return config::resolve_slurm_settings(site, layers);
}

std::vector<std::string> launcher_words(const config::SlurmSettings& s) {
  if (s.launcher == "mpirun") return {"mpirun"};
  return {"srun", "--mpi=pmix"};
}

// sbatch options shared by both jobs.
void add_common_options(std::vector<std::string>& argv, const config::SlurmSettings& s) {
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  if (!s.qos.empty()) argv.push_back("--qos=" + s.qos);
}

nlohmann::json settings_json(const config::SlurmSettings& s) {
  return {{"site", s.site},
          {"partition", s.partition},
          {"account", s.account},
          {"qos", s.qos},
          {"time", s.time},
          {"reduce_time", s.reduce_time},
          {"nodes", s.nodes},
          {"tasks_per_node", s.tasks_per_node},
          {"cpus_per_task", s.cpus_per_task},
          {"gpus_per_task", s.gpus_per_task},
          {"reduce_tasks", s.reduce_tasks},
          {"reduce_cpus_per_task", s.reduce_cpus_per_task},
          {"array_throttle", s.array_throttle},
          {"signal_seconds", s.signal_seconds},
          {"requeue", s.requeue},
          {"launcher", s.launcher},
          {"sbatch_options", s.sbatch_options}};
}

// An absolute log file pattern: Slurm expands %-sequences in the whole path (a relative one is
// first joined to --chdir), so a '%' of the directory is written "%%".
std::string log_pattern(const std::filesystem::path& submission_dir, const std::string& file) {
  std::string dir;
  for (char c : (submission_dir / "logs").string()) {
    if (c == '%') dir += '%';
    dir += c;
  }
  return dir + "/" + file;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  GENSWEEP_CHECK(!ec, IoError, "cannot find this program's path (/proc/self/exe): {}",
                 ec.message());
  return exe;
}

}  // namespace

int command_submit(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("submit", argv,
            {"presets", "output", "templates", "site", "partition", "account", "qos", "time",
             "reduce-time", "nodes", "tasks-per-node", "cpus-per-task", "gpus-per-task",
             "reduce-tasks", "array-throttle", "signal-seconds", "launcher"},
            {"dry-run", "rebuild", "no-requeue", "help"});
  if (args.flag("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  GENSWEEP_CHECK(comm.size() == 1, UsageError,
                 "gensweep submit runs as one process (it submits MPI jobs; do not start it under "
                 "mpirun or srun)");
  args.expect_positional(1, "one job file");
  const std::string presets_dir = args.value("presets").value_or("");
  config::Job job = load_job(args.positional()[0], presets_dir, comm);
  if (auto output = args.value("output")) job.output_dir = std::filesystem::absolute(*output);
  const pipeline::Plan plan = pipeline::make_plan(job);
  const config::SlurmSettings settings = resolve_settings(job, args, presets_dir);
  const bool dry_run = args.flag("dry-run");

  // Two jobs must never write one store: refuse while an earlier submission is still at work.
  const auto earlier = active_jobs(plan.output_dir);
  if (!earlier.empty()) {
    std::string list;
    for (const auto& job_state : earlier)
      list += fmt::format("\n  {} {}", job_state.id, job_state.state);
    GENSWEEP_CHECK(dry_run, SchedulerError,
                   "{}: Slurm jobs of an earlier submission are still pending or running:{}\nwait "
                   "for them (gensweep status {}) or cancel them (scancel) before submitting "
                   "again",
                   plan.output_dir.string(), list, args.positional()[0]);
  }

  // The stores to extract.
  std::vector<slurm::ExtractionElement> elements;
  std::vector<std::string> stale;
  int complete = 0;
  // The same decision as every other command: a store made from other inputs is stale.
  const auto catalogue = pipeline::resolve_stores(plan, comm, pipeline::CatalogueOptions{});
  for (const auto& state : catalogue.stores) {
    using Kind = pipeline::StoreState::Kind;
    if (state.kind == Kind::kComplete) {
      ++complete;
      continue;
    }
    if (state.kind == Kind::kStale && !args.flag("rebuild"))
      stale.push_back(fmt::format("{}: {}", state.path.string(), state.problem));
    elements.push_back({static_cast<int>(elements.size()), state.dataset, state.backbone});
  }
  if (!stale.empty()) {
    std::string list;
    for (const auto& s : stale)
      list += "\n  " + s;
    throw StoreError(fmt::format(
        "stores that do not match the job (submit with --rebuild to recompute them, or remove "
        "them):{}",
        list));
  }

  // Templates and the values that fill them.
  const std::filesystem::path templates = args.value("templates").value_or(default_templates_dir());
  GENSWEEP_CHECK(!templates.empty(), UsageError,
                 "cannot find the sbatch templates (slurm/extract.sbatch): pass --templates DIR or "
                 "set GENSWEEP_SLURM_DIR");
  const auto extract_template = templates / "extract.sbatch";
  const auto reduce_template = templates / "reduce.sbatch";
  const std::string extract_text = read_text(extract_template, "extraction template");
  const std::string reduce_text = read_text(reduce_template, "reduction template");

  slurm::Submission submission;
  submission.dir = dry_run ? slurm::submissions_dir(plan.output_dir) / "<new submission>"
                           : slurm::create_submission_dir(plan.output_dir, &submission.id);
  submission.created_utc = pipeline::utc_now_iso8601();
  submission.job_name = plan.job_name;
  submission.job_file = plan.job_file;
  submission.config_hash = plan.config_hash;
  submission.elements = elements;
  submission.settings = settings_json(settings);

  std::vector<std::string> gensweep_options;
  if (args.value("output"))
    gensweep_options.insert(gensweep_options.end(), {"--output", plan.output_dir.string()});
  if (!presets_dir.empty())
    gensweep_options.insert(gensweep_options.end(),
                            {"--presets", std::filesystem::absolute(presets_dir).string()});
  std::vector<std::string> extract_options = gensweep_options;
  if (args.flag("rebuild")) extract_options.push_back("--rebuild");

  const std::string gensweep = self_executable().string();
  const std::string extract_script =
      slurm::fill_values_block(extract_text, extract_template,
                               {{"gensweep", gensweep, "the gensweep executable"},
                                {"job", plan.job_file, "the job file"},
                                {"tasks", (submission.dir / "tasks.tsv").string(), "the task list"},
                                {"options", extract_options, "more options for gensweep extract"},
                                {"launcher", launcher_words(settings), "how ranks start"}});
  const std::string reduce_script =
      slurm::fill_values_block(reduce_text, reduce_template,
                               {{"gensweep", gensweep, "the gensweep executable"},
                                {"job", plan.job_file, "the job file"},
                                {"options", gensweep_options, "more options for gensweep reduce"},
                                {"launcher", launcher_words(settings), "how ranks start"}});

  // sbatch command lines: every value is one argument (no shell), the script last.
  std::vector<std::string>& ex = submission.extract_command;
  if (!elements.empty()) {
    ex = {
        "--job-name=gensweep-" + plan.job_name + "-extract",
        fmt::format("--array=0-{}{}", elements.size() - 1,
                    settings.array_throttle > 0 ? fmt::format("%{}", settings.array_throttle) : ""),
        "--chdir=" + submission.dir.string(),
        "--output=" + log_pattern(submission.dir, "extract-%A_%a.out"),
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
    ex.push_back((submission.dir / "extract.sbatch").string());
  }
  std::vector<std::string>& re = submission.reduce_command;
  re = {"--job-name=gensweep-" + plan.job_name + "-reduce",
        "--chdir=" + submission.dir.string(),
        "--output=" + log_pattern(submission.dir, "reduce-%j.out"),
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
  const std::size_t dependency_at = re.size();  // the dependency goes here once the array has an id
  re.push_back((submission.dir / "reduce.sbatch").string());

  const std::size_t stores = elements.size() + static_cast<std::size_t>(complete);
  if (dry_run) {
    fmt::print("dry run: nothing is submitted or written\n\n");
    fmt::print("{} of {} stores to extract ({} complete):\n", elements.size(), stores, complete);
    for (const auto& e : elements)
      fmt::print("  [{}] {} / {}\n", e.index, e.dataset, e.backbone);
    if (!elements.empty()) {
      std::vector<std::string> words = {"sbatch"};
      words.insert(words.end(), ex.begin(), ex.end());
      fmt::print("\nextraction:\n  {}\n", slurm::shell_command(words));
    }
    std::vector<std::string> words = {"sbatch"};
    words.insert(words.end(), re.begin(), re.begin() + static_cast<long>(dependency_at));
    if (!elements.empty())
      words.insert(words.end(), {"--dependency=afterok:<array id>", "--kill-on-invalid-dep=yes"});
    words.insert(words.end(), re.begin() + static_cast<long>(dependency_at), re.end());
    fmt::print("\nreduction:\n  {}\n", slurm::shell_command(words));
    if (!elements.empty()) fmt::print("\nextract.sbatch:\n{}", extract_script);
    fmt::print("\nreduce.sbatch:\n{}", reduce_script);
    return 0;
  }

  slurm::write_tasks_file(submission.dir / "tasks.tsv", elements);
  report::write_file_atomically(submission.dir / "extract.sbatch", extract_script);
  report::write_file_atomically(submission.dir / "reduce.sbatch", reduce_script);
  write_submission(submission);  // a record exists even when sbatch refuses

  const auto start = std::chrono::steady_clock::now();
  if (!elements.empty()) {
    submission.extract_job_id = slurm::submit_batch(ex);
    re.insert(re.begin() + static_cast<long>(dependency_at),
              {"--dependency=afterok:" + submission.extract_job_id, "--kill-on-invalid-dep=yes"});
    write_submission(submission);
  }
  try {
    submission.reduce_job_id = slurm::submit_batch(re);
  } catch (const SchedulerError& e) {
    throw SchedulerError(fmt::format(
        "{}\nthe extraction array {} was submitted and keeps running; once it is done, submit "
        "again to add the reduction",
        e.what(), submission.extract_job_id.empty() ? "(none)" : submission.extract_job_id));
  }
  submission.submit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_submission(submission);

  fmt::print("submitted job '{}' (submission {})\n", plan.job_name, submission.id);
  if (elements.empty())
    fmt::print("  extraction: none: all {} stores are complete\n", stores);
  else
    fmt::print("  extraction: Slurm job array {}: {} of {} stores ({} complete)\n",
               submission.extract_job_id, elements.size(), stores, complete);
  fmt::print("  reduction:  Slurm job {}{}\n", submission.reduce_job_id,
             elements.empty() ? "" : " (starts when every extraction element succeeded)");
  fmt::print("  logs:       {}\n", (submission.dir / "logs").string());
  fmt::print("  results:    {}\n", (plan.output_dir / "results.json").string());
  fmt::print(
      "  follow:     gensweep status {}{}\n", slurm::shell_quote(args.positional()[0]),
      args.value("output") ? " --output " + slurm::shell_quote(plan.output_dir.string()) : "");
  return 0;
}

}  // namespace gensweep::cli
