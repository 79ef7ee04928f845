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
#include "gensweep/slurm/sbatch_arguments.h"
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

std::filesystem::path self_executable() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  GENSWEEP_CHECK(!ec, IoError, "cannot find this program's path (/proc/self/exe): {}",
                 ec.message());
  return exe;
}

// Two jobs must never write one store: refuse while an earlier submission is still at work (a dry
// run only lists them).
void refuse_while_earlier_jobs_run(const pipeline::Plan& plan, const std::string& job_file,
                                   bool dry_run) {
  const auto earlier = active_jobs(plan.output_dir);
  if (earlier.empty()) return;
  std::string list;
  for (const auto& job_state : earlier)
    list += fmt::format("\n  {} {}", job_state.id, job_state.state);
  GENSWEEP_CHECK(dry_run, SchedulerError,
                 "{}: Slurm jobs of an earlier submission are still pending or running:{}\nwait "
                 "for them (gensweep status {}) or cancel them (scancel) before submitting "
                 "again",
                 plan.output_dir.string(), list, job_file);
}

struct StoresToExtract {
  std::vector<slurm::ExtractionElement> elements;  // one array element per store
  int complete = 0;                                // stores that are never submitted again
};

// The same decision as every other command: a store made from other inputs is stale, and refused
// unless `rebuild`.
StoresToExtract stores_to_extract(const pipeline::Plan& plan, dist::Comm& comm, bool rebuild) {
  StoresToExtract out;
  std::vector<std::string> stale;
  const auto catalogue = pipeline::resolve_stores(plan, comm, pipeline::CatalogueOptions{});
  for (const auto& state : catalogue.stores) {
    using Kind = pipeline::StoreState::Kind;
    if (state.kind == Kind::kComplete) {
      ++out.complete;
      continue;
    }
    if (state.kind == Kind::kStale && !rebuild)
      stale.push_back(fmt::format("{}: {}", state.path.string(), state.problem));
    out.elements.push_back({static_cast<int>(out.elements.size()), state.dataset, state.backbone});
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
  return out;
}

struct Template {
  std::filesystem::path path;
  std::string text;
};

struct Templates {
  Template extract;  // extract.sbatch
  Template reduce;   // reduce.sbatch
};

Templates read_templates(const Args& args) {
  const std::filesystem::path templates = args.value("templates").value_or(default_templates_dir());
  GENSWEEP_CHECK(!templates.empty(), UsageError,
                 "cannot find the sbatch templates (slurm/extract.sbatch): pass --templates DIR or "
                 "set GENSWEEP_SLURM_DIR");
  Templates out;
  out.extract.path = templates / "extract.sbatch";
  out.reduce.path = templates / "reduce.sbatch";
  out.extract.text = read_text(out.extract.path, "extraction template");
  out.reduce.text = read_text(out.reduce.path, "reduction template");
  return out;
}

struct Scripts {
  std::string extract;  // extract.sbatch
  std::string reduce;   // reduce.sbatch
};

// The sbatch templates with their values blocks filled in.
Scripts fill_scripts(const Templates& templates, const Args& args, const pipeline::Plan& plan,
                     const config::SlurmSettings& settings, const std::string& presets_dir,
                     const std::filesystem::path& submission_dir) {
  std::vector<std::string> gensweep_options;
  if (args.value("output"))
    gensweep_options.insert(gensweep_options.end(), {"--output", plan.output_dir.string()});
  if (!presets_dir.empty())
    gensweep_options.insert(gensweep_options.end(),
                            {"--presets", std::filesystem::absolute(presets_dir).string()});
  std::vector<std::string> extract_options = gensweep_options;
  if (args.flag("rebuild")) extract_options.push_back("--rebuild");

  const std::string gensweep = self_executable().string();
  Scripts scripts;
  scripts.extract =
      slurm::fill_values_block(templates.extract.text, templates.extract.path,
                               {{"gensweep", gensweep, "the gensweep executable"},
                                {"job", plan.job_file, "the job file"},
                                {"tasks", (submission_dir / "tasks.tsv").string(), "the task list"},
                                {"options", extract_options, "more options for gensweep extract"},
                                {"launcher", launcher_words(settings), "how ranks start"}});
  scripts.reduce =
      slurm::fill_values_block(templates.reduce.text, templates.reduce.path,
                               {{"gensweep", gensweep, "the gensweep executable"},
                                {"job", plan.job_file, "the job file"},
                                {"options", gensweep_options, "more options for gensweep reduce"},
                                {"launcher", launcher_words(settings), "how ranks start"}});
  return scripts;
}

void print_dry_run(const slurm::Submission& submission, const StoresToExtract& stores,
                   const Scripts& scripts) {
  const auto& elements = stores.elements;
  const std::size_t total = elements.size() + static_cast<std::size_t>(stores.complete);
  fmt::print("dry run: nothing is submitted or written\n\n");
  fmt::print("{} of {} stores to extract ({} complete):\n", elements.size(), total,
             stores.complete);
  for (const auto& e : elements)
    fmt::print("  [{}] {} / {}\n", e.index, e.dataset, e.backbone);
  if (!elements.empty()) {
    std::vector<std::string> words = {"sbatch"};
    words.insert(words.end(), submission.extract_command.begin(), submission.extract_command.end());
    fmt::print("\nextraction:\n  {}\n", slurm::shell_command(words));
  }
  std::vector<std::string> words = {"sbatch"};
  const auto reduce = elements.empty()
                          ? submission.reduce_command
                          : slurm::with_array_dependency(submission.reduce_command, "<array id>");
  words.insert(words.end(), reduce.begin(), reduce.end());
  fmt::print("\nreduction:\n  {}\n", slurm::shell_command(words));
  if (!elements.empty()) fmt::print("\nextract.sbatch:\n{}", scripts.extract);
  fmt::print("\nreduce.sbatch:\n{}", scripts.reduce);
}

// Writes the submission's files, then submits the array (if any) and the reduction that waits for
// it. The record is rewritten after each step, so it exists even when sbatch refuses.
void submit(slurm::Submission& submission, const Scripts& scripts) {
  slurm::write_tasks_file(submission.dir / "tasks.tsv", submission.elements);
  report::write_file_atomically(submission.dir / "extract.sbatch", scripts.extract);
  report::write_file_atomically(submission.dir / "reduce.sbatch", scripts.reduce);
  write_submission(submission);

  const auto start = std::chrono::steady_clock::now();
  if (!submission.elements.empty()) {
    submission.extract_job_id = slurm::submit_batch(submission.extract_command);
    submission.reduce_command =
        slurm::with_array_dependency(submission.reduce_command, submission.extract_job_id);
    write_submission(submission);
  }
  try {
    submission.reduce_job_id = slurm::submit_batch(submission.reduce_command);
  } catch (const SchedulerError& e) {
    throw SchedulerError(fmt::format(
        "{}\nthe extraction array {} was submitted and keeps running; once it is done, submit "
        "again to add the reduction",
        e.what(), submission.extract_job_id.empty() ? "(none)" : submission.extract_job_id));
  }
  submission.submit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_submission(submission);
}

void print_submitted(const Args& args, const pipeline::Plan& plan,
                     const slurm::Submission& submission, const StoresToExtract& stores) {
  const auto& elements = stores.elements;
  const std::size_t total = elements.size() + static_cast<std::size_t>(stores.complete);
  fmt::print("submitted job '{}' (submission {})\n", plan.job_name, submission.id);
  if (elements.empty())
    fmt::print("  extraction: none: all {} stores are complete\n", total);
  else
    fmt::print("  extraction: Slurm job array {}: {} of {} stores ({} complete)\n",
               submission.extract_job_id, elements.size(), total, stores.complete);
  fmt::print("  reduction:  Slurm job {}{}\n", submission.reduce_job_id,
             elements.empty() ? "" : " (starts when every extraction element succeeded)");
  fmt::print("  logs:       {}\n", (submission.dir / "logs").string());
  fmt::print("  results:    {}\n", (plan.output_dir / "results.json").string());
  fmt::print(
      "  follow:     gensweep status {}{}\n", slurm::shell_quote(args.positional()[0]),
      args.value("output") ? " --output " + slurm::shell_quote(plan.output_dir.string()) : "");
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

  refuse_while_earlier_jobs_run(plan, args.positional()[0], dry_run);
  const StoresToExtract stores = stores_to_extract(plan, comm, args.flag("rebuild"));
  const Templates templates = read_templates(args);

  slurm::Submission submission;
  submission.dir = dry_run ? slurm::submissions_dir(plan.output_dir) / "<new submission>"
                           : slurm::create_submission_dir(plan.output_dir, &submission.id);
  submission.created_utc = pipeline::utc_now_iso8601();
  submission.job_name = plan.job_name;
  submission.job_file = plan.job_file;
  submission.config_hash = plan.config_hash;
  submission.elements = stores.elements;
  submission.settings = settings_json(settings);
  const Scripts scripts =
      fill_scripts(templates, args, plan, settings, presets_dir, submission.dir);

  // sbatch command lines; the reduction's dependency is added once the array has an id.
  const slurm::SbatchTarget target{plan.job_name, submission.dir};
  if (!stores.elements.empty())
    submission.extract_command =
        slurm::extraction_arguments(settings, target, stores.elements.size());
  submission.reduce_command = slurm::reduction_arguments(settings, target);

  if (dry_run) {
    print_dry_run(submission, stores, scripts);
    return 0;
  }
  submit(submission, scripts);
  print_submitted(args, plan, submission, stores);
  return 0;
}

}  // namespace gensweep::cli
