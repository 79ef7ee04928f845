// gensweep run | extract | reduce | validate JOB
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>

#include "args.h"
#include "commands.h"
#include "gensweep/config/canonical.h"
#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/dist/phase.h"
#include "gensweep/pipeline/interrupt.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/run.h"
#include "gensweep/report/markdown.h"
#include "gensweep/slurm/process.h"
#include "gensweep/slurm/submission.h"

namespace gensweep::cli {

std::string default_presets_dir() {
  if (const char* env = std::getenv("GENSWEEP_CONFIG_DIR"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto candidate : {exe.parent_path().parent_path() / "configs",
                           exe.parent_path().parent_path() / "share" / "gensweep" / "configs"}) {
      if (std::filesystem::exists(candidate / config::kPresetsFileName)) return candidate.string();
    }
  }
  return {};
}

std::string default_templates_dir() {
  if (const char* env = std::getenv("GENSWEEP_SLURM_DIR"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto candidate : {exe.parent_path().parent_path() / "slurm",
                           exe.parent_path().parent_path() / "share" / "gensweep" / "slurm"}) {
      if (std::filesystem::exists(candidate / "extract.sbatch")) return candidate.string();
    }
  }
  return {};
}

// Rank 0 reads and validates the job; the texts are broadcast and parsed by every rank, so all
// ranks hold the same job. An error on rank 0 ends every rank with its message.
config::Job load_job(const std::string& job_file, const std::string& presets_dir,
                     dist::Comm& comm) {
  config::LoadOptions options;
  options.presets_dir = presets_dir.empty() ? default_presets_dir() : presets_dir;
  options.known_metrics = pipeline::metric_names();
  options.metric_parameters = pipeline::metric_parameter_specs();
  config::JobTexts texts;
  config::Job job;
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    texts = config::read_job_texts(job_file, options);
    job = config::parse_job(texts.job_text, std::filesystem::absolute(job_file), texts.presets_text,
                            texts.presets_file, options);
  });
  if (comm.size() == 1) return job;
  std::string presets_file = texts.presets_file.string();
  comm.broadcast(texts.job_text);
  comm.broadcast(presets_file);
  comm.broadcast(texts.presets_text);
  if (!comm.is_root()) {
    options.check_paths = false;
    job = config::parse_job(texts.job_text, std::filesystem::absolute(job_file), texts.presets_text,
                            presets_file, options);
  }
  return job;
}

namespace {

constexpr const char* kRunHelp = R"(usage: gensweep {0} JOB [options]

{1}

options:
  --rebuild        recompute stores whose provenance no longer matches the job
                   (default: refuse, naming the attribute that differs)
  --verify-inputs  read and hash every image file again instead of trusting the digests
                   remembered with each file's size, times and inode (<output>/cache/inputs)
  --presets DIR    directory holding backbones.toml (default: [job] presets, then
                   $GENSWEEP_CONFIG_DIR, then the configs/ folder of this installation)
  --output DIR     write stores and results into DIR instead of the job's [job] output
  --quiet          no progress lines
  --status-file F  write the outcome (done, failed with its message, interrupted) to the JSON
                   file F when the command ends; `gensweep status` reads these for Slurm tasks
  --help           this text
{2}
Runs alone or under mpirun/srun: ranks share the work; results do not depend on the number of
ranks. Exit codes: see `gensweep --help`.
)";

constexpr const char* kTaskHelp = R"(
Slurm array elements (slurm/extract.sbatch):
  --tasks FILE     a task list, one "dataset<TAB>backbone" per line (written by gensweep submit)
  --task N         extract only the store on line N+1 of FILE (N = $SLURM_ARRAY_TASK_ID)
  --requeue-on-signal
                   when stopped by SIGUSR1 (Slurm's warning before the time limit), ask Slurm to
                   requeue this job ($SLURM_JOB_ID) after saving the finished units, so it resumes
)";

// The outcome of this process for --status-file. Written by rank 0 only.
void record_outcome(const std::optional<std::string>& file, const dist::Comm& comm,
                    std::exception_ptr error) {
  if (!file || !comm.is_root()) return;
  slurm::ProcessOutcome outcome;
  outcome.state = "done";
  if (error) {
    const ErrorKind kind = kind_of(error);
    outcome.state = kind == ErrorKind::kInterrupted ? "interrupted" : "failed";
    outcome.exit_code = exit_code_for(kind);
    outcome.error_kind = error_kind_name(kind);
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      outcome.message = e.what();
    } catch (...) {
      outcome.message = "unknown error";
    }
  }
  if (const char* id = std::getenv("SLURM_JOB_ID")) outcome.slurm_job_id = id;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  outcome.host = host;
  outcome.finished_utc = pipeline::utc_now_iso8601();
  try {
    slurm::write_outcome(*file, outcome);
  } catch (const std::exception& e) {
    log::warn("--status-file: {}", e.what());  // never hide the real outcome behind this one
  }
}

// After SIGUSR1 (Slurm's warning before the time limit) the finished units are saved; asking Slurm
// to requeue this job lets it resume from the store's done-map without anyone resubmitting.
void requeue_after_signal(const dist::Comm& comm) {
  if (!comm.is_root() || pipeline::interrupt_signal() != SIGUSR1) return;
  const char* id = std::getenv("SLURM_JOB_ID");
  if (id == nullptr) {
    log::warn("--requeue-on-signal: not inside a Slurm job ($SLURM_JOB_ID is unset): not requeued");
    return;
  }
  const auto r = slurm::run_process({"scontrol", "requeue", id});
  if (r.exit_code == 0)
    log::info("stopped before the time limit: Slurm job {} requeued; it resumes from the store",
              id);
  else
    log::warn(
        "stopped before the time limit, but `scontrol requeue {}` failed ({}): resubmit "
        "to resume",
        id, r.err);
}

void run_stages(const std::string& name, const Args& args, dist::Comm& comm);

}  // namespace

int command_run(const std::string& name, const std::vector<std::string>& argv, dist::Comm& comm) {
  const bool tasks_allowed = name == "extract";
  std::set<std::string> values = {"presets", "output", "status-file"};
  std::set<std::string> flags = {"rebuild", "quiet", "verify-inputs", "help"};
  if (tasks_allowed) {
    values.insert({"tasks", "task"});
    flags.insert("requeue-on-signal");
  }
  Args args(name, argv, values, flags);
  const auto status_file = args.value("status-file");
  try {
    run_stages(name, args, comm);
  } catch (...) {
    record_outcome(status_file, comm, std::current_exception());
    if (args.flag("requeue-on-signal") &&
        kind_of(std::current_exception()) == ErrorKind::kInterrupted)
      requeue_after_signal(comm);
    throw;
  }
  record_outcome(status_file, comm, nullptr);
  return 0;
}

namespace {

// Keeps only the store on line `index` of a task list.
void restrict_to_task(pipeline::Plan& plan, const std::string& tasks_file, std::int64_t index) {
  const slurm::ExtractionElement element = slurm::read_task(tasks_file, static_cast<int>(index));
  for (const auto& task : plan.extraction) {
    if (task.dataset != element.dataset) continue;
    if (std::find(task.backbones.begin(), task.backbones.end(), element.backbone) ==
        task.backbones.end())
      break;
    plan.extraction = {pipeline::ExtractionTask{element.dataset, {element.backbone}}};
    return;
  }
  throw UsageError(fmt::format(
      "{}:{}: the job extracts no store {}/{} (the task list belongs to another version of the "
      "job: submit again)",
      tasks_file, index + 1, element.dataset, element.backbone));
}

void run_stages(const std::string& name, const Args& args, dist::Comm& comm) {
  if (args.flag("help")) {
    const char* what = name == "run"
                           ? "Extracts every store the job needs (resuming unfinished ones), then "
                             "computes the\nmetrics and writes results.json, .csv, .md and .tex, "
                             "then figures/, rankings/,\ncontact_sheets/ and report.html into the "
                             "job's output directory, printing the tables."
                       : name == "extract"
                           ? "Extracts (or resumes) every store the job needs; computes no metrics."
                           : "Computes the metrics from existing, complete stores and writes the "
                             "results.";
    if (comm.is_root()) fmt::print(kRunHelp, name, what, name == "extract" ? kTaskHelp : "");
    return;
  }
  args.expect_positional(1, "one job file");
  GENSWEEP_CHECK(args.value("tasks").has_value() == args.value("task").has_value(), UsageError,
                 "gensweep {}: --tasks FILE and --task N go together", name);
  config::Job job = load_job(args.positional()[0], args.value("presets").value_or(""), comm);
  if (auto output = args.value("output")) job.output_dir = std::filesystem::absolute(*output);
  pipeline::Plan plan = pipeline::make_plan(job);
  if (auto tasks = args.value("tasks")) restrict_to_task(plan, *tasks, args.int_value("task", -1));
  pipeline::install_interrupt_handlers();
  pipeline::RunOptions options;
  options.rebuild = args.flag("rebuild");
  options.quiet = args.flag("quiet");
  options.verify_inputs = args.flag("verify-inputs");
  pipeline::Stages stages;
  stages.extract = name != "reduce";
  stages.reduce = name != "extract";
  report::RunResults results = pipeline::run_job(plan, comm, options, stages);
  if (comm.is_root() && stages.reduce) {
    fmt::print("\n{}\n", report::markdown_tables(results));
    for (const auto& w : results.warnings)
      fmt::print(stderr, "gensweep note: {}\n", w);
    fmt::print("results: {}\n", (plan.output_dir / "results.json").string());
  }
}

}  // namespace

int command_validate(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("validate", argv, {"presets"}, {"help", "quiet"});
  if (args.flag("help")) {
    fmt::print(
        "usage: gensweep validate JOB [--presets DIR] [--quiet]\n\nChecks a job file (every key, "
        "type, bound, id and path) and prints its resolved\ncanonical form and config hash. Exit "
        "code 0 when valid, 3 with a file:line:column\nmessage when not.\n");
    return 0;
  }
  args.expect_positional(1, "one job file");
  config::Job job = load_job(args.positional()[0], args.value("presets").value_or(""), comm);
  pipeline::make_plan(job);  // also checks what only the pipeline knows (runnable backbones)
  if (comm.is_root()) {
    if (!args.flag("quiet")) fmt::print("{}\n", config::canonical_form(job));
    fmt::print("{}: valid ({} datasets, {} backbones, {} comparisons; config hash {})\n",
               args.positional()[0], job.datasets.size(), job.backbones.size(),
               job.comparisons.size(), config::config_hash(job).substr(0, 16));
  }
  return 0;
}

}  // namespace gensweep::cli
