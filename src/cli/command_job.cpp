// gensweep run | extract | reduce | validate JOB
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "args.h"
#include "commands.h"
#include "gensweep/config/canonical.h"
#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "gensweep/pipeline/interrupt.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/run.h"
#include "gensweep/report/markdown.h"

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

namespace {

// Rank 0 reads and validates the job; the texts are broadcast and parsed by every rank, so all
// ranks hold the same job. An error on rank 0 ends every rank with its message.
config::Job load_job_everywhere(const std::string& job_file, const std::string& presets_dir,
                                dist::Comm& comm) {
  config::LoadOptions options;
  options.presets_dir = presets_dir.empty() ? default_presets_dir() : presets_dir;
  options.known_metrics = pipeline::metric_names();
  options.metric_parameters = pipeline::metric_parameter_specs();
  config::JobTexts texts;
  std::exception_ptr error;
  config::Job job;
  if (comm.is_root()) {
    try {
      texts = config::read_job_texts(job_file, options);
      job = config::parse_job(texts.job_text, std::filesystem::absolute(job_file),
                              texts.presets_text, texts.presets_file, options);
    } catch (...) {
      error = std::current_exception();
      if (comm.size() == 1) throw;
    }
  }
  if (comm.size() == 1) return job;
  comm.agree(error);
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

constexpr const char* kRunHelp = R"(usage: gensweep {0} JOB [options]

{1}

options:
  --rebuild        recompute stores whose provenance no longer matches the job
                   (default: refuse, naming the attribute that differs)
  --presets DIR    directory holding backbones.toml (default: [job] presets, then
                   $GENSWEEP_CONFIG_DIR, then the configs/ folder of this installation)
  --output DIR     write stores and results into DIR instead of the job's [job] output
  --quiet          no progress lines
  --help           this text

Runs alone or under mpirun/srun: ranks share the work; results do not depend on the number of
ranks. Exit codes: see `gensweep --help`.
)";

}  // namespace

int command_run(const std::string& name, const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args(name, argv, {"presets", "output"}, {"rebuild", "quiet", "help"});
  if (args.flag("help")) {
    const char* what = name == "run"
                           ? "Extracts every store the job needs (resuming unfinished ones), then "
                             "computes the\nmetrics and writes results.json, results.csv and "
                             "results.md into the job's output\ndirectory, printing the tables."
                       : name == "extract"
                           ? "Extracts (or resumes) every store the job needs; computes no metrics."
                           : "Computes the metrics from existing, complete stores and writes the "
                             "results.";
    if (comm.is_root()) fmt::print(kRunHelp, name, what);
    return 0;
  }
  args.expect_positional(1, "one job file");
  config::Job job =
      load_job_everywhere(args.positional()[0], args.value("presets").value_or(""), comm);
  if (auto output = args.value("output")) job.output_dir = std::filesystem::absolute(*output);
  pipeline::Plan plan = pipeline::make_plan(job);
  pipeline::install_interrupt_handlers();
  pipeline::RunOptions options;
  options.rebuild = args.flag("rebuild");
  options.quiet = args.flag("quiet");
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
  return 0;
}

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
  config::Job job =
      load_job_everywhere(args.positional()[0], args.value("presets").value_or(""), comm);
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
