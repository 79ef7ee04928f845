// gensweep status JOB: where a job stands: its stores (complete, partial with progress, missing,
// failed and why), its results, and the Slurm jobs of its latest submission.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/slurm/scheduler.h"
#include "gensweep/slurm/submission.h"
#include "slurm_job.h"

namespace gensweep::cli {
namespace {

constexpr const char* kHelp = R"(usage: gensweep status JOB [--output DIR] [--presets DIR] [--json]

Shows where the job stands:
  stores       complete, partial (units done), missing, stale (made from other inputs than
               the job names: the attribute and both values; needs --rebuild), failed (with
               the error of the task that failed)
  results      whether results.json exists and belongs to this version of the job
  Slurm        the jobs of the latest `gensweep submit`: states of the extraction array's
               elements and of the reduction (and why it did not run)
Reads the stores, the submission records under <output>/slurm and asks squeue (and sacct where
accounting exists); hashes only image files changed since they were last hashed, and writes
nothing. --json prints the same as one JSON object.
)";

struct StoreLine {
  pipeline::StoreState store;
  std::string state;  // complete, partial, missing, stale, failed
  std::string slurm_job;
  std::string slurm_state;
  std::string error;
};

std::string short_message(std::string text) {
  if (auto nl = text.find('\n'); nl != std::string::npos) text = text.substr(0, nl) + " ...";
  return text;
}

}  // namespace

int command_status(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("status", argv, {"presets", "output"}, {"json", "help"});
  if (args.flag("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  args.expect_positional(1, "one job file");
  config::Job job = load_job(args.positional()[0], args.value("presets").value_or(""), comm);
  if (auto output = args.value("output")) job.output_dir = std::filesystem::absolute(*output);
  const pipeline::Plan plan = pipeline::make_plan(job);

  const auto submissions = slurm::read_submissions(plan.output_dir);
  const slurm::Submission* latest = submissions.empty() ? nullptr : &submissions.back();
  std::map<std::string, slurm::JobState> jobs;
  std::string slurm_problem;
  if (latest) jobs = slurm::query_jobs(submitted_ids(*latest), &slurm_problem);

  // Stores, with the task of the latest submission that extracts each.
  std::vector<StoreLine> lines;
  std::map<std::string, int> counts;
  // The one decision every command uses; status only reads (no manifest is written) and answers
  // even when a backbone cannot be built (its stores then say why they cannot be checked).
  pipeline::CatalogueOptions catalogue_options;
  catalogue_options.inputs.write = false;
  catalogue_options.tolerate_backbone_errors = true;
  const auto catalogue = pipeline::resolve_stores(plan, comm, catalogue_options);
  for (const auto& state : catalogue.stores) {
    StoreLine line;
    line.store = state;
    line.state = pipeline::state_name(state.kind);
    if (latest) {
      for (const auto& e : latest->elements) {
        if (e.dataset != state.dataset || e.backbone != state.backbone) continue;
        line.slurm_job = fmt::format("{}_{}", latest->extract_job_id, e.index);
        if (auto it = jobs.find(line.slurm_job); it != jobs.end())
          line.slurm_state = it->second.state;
        auto outcome =
            slurm::read_outcome(latest->dir / "status" / fmt::format("extract-{}.json", e.index));
        const bool active = !line.slurm_state.empty() && slurm::is_active(jobs[line.slurm_job]);
        if (outcome && outcome->state == "failed" && !active) {
          if (state.kind != pipeline::StoreState::Kind::kComplete) line.state = "failed";
          line.error = fmt::format("exit {} ({}): {}", outcome->exit_code, outcome->error_kind,
                                   outcome->message);
        } else if (!active && !line.slurm_state.empty() && line.slurm_state != "COMPLETED" &&
                   state.kind != pipeline::StoreState::Kind::kComplete) {
          // Cancelled (scancel, or its array was cancelled) leaves a resumable store; the other
          // endings are failures of the task.
          if (line.slurm_state != "CANCELLED") line.state = "failed";
          line.error =
              fmt::format("Slurm ended the task: {}{}", line.slurm_state,
                          line.slurm_state == "CANCELLED" ? " (submit again to resume)" : "");
        }
      }
    }
    if (state.kind == pipeline::StoreState::Kind::kStale) line.error = state.problem;
    ++counts[line.state];
    lines.push_back(std::move(line));
  }

  // Results.
  const auto results_path = plan.output_dir / "results.json";
  std::string results_state = "missing";
  {
    std::error_code ec;
    if (std::filesystem::exists(results_path, ec)) {
      try {
        auto j = nlohmann::json::parse(read_file(results_path, "results file"));
        results_state = j.value("config_hash", "") == plan.config_hash
                            ? "up to date"
                            : "stale: written for another version of the job (config hash differs)";
      } catch (const std::exception&) {
        results_state = "unreadable";
      }
    }
  }

  // The latest submission's jobs.
  std::map<std::string, int> element_states;
  std::string reduce_state, reduce_reason, reduce_error;
  if (latest) {
    for (const auto& e : latest->elements) {
      auto it = jobs.find(fmt::format("{}_{}", latest->extract_job_id, e.index));
      ++element_states[it == jobs.end() ? "UNKNOWN" : it->second.state];
    }
    if (auto it = jobs.find(latest->reduce_job_id); it != jobs.end()) {
      reduce_state = it->second.state;
      reduce_reason = it->second.reason;
    }
    if (auto outcome = slurm::read_outcome(latest->dir / "status" / "reduce.json");
        outcome && outcome->state != "done")
      reduce_error = fmt::format("exit {} ({}): {}", outcome->exit_code, outcome->error_kind,
                                 outcome->message);
    // Why a reduction did not run: its dependency failed.
    if (reduce_error.empty() &&
        (reduce_state == "CANCELLED" || reduce_reason.find("Dependency") != std::string::npos)) {
      for (const auto& line : lines)
        if (line.state == "failed" && !line.slurm_job.empty()) {
          reduce_error =
              fmt::format("extraction task {} ({}/{}) failed: {}", line.slurm_job,
                          line.store.dataset, line.store.backbone, short_message(line.error));
          break;
        }
    }
  }

  if (args.flag("json")) {
    nlohmann::json j;
    j["job"] = plan.job_name;
    j["job_file"] = plan.job_file;
    j["output"] = plan.output_dir.string();
    j["stores"] = nlohmann::json::array();
    for (const auto& l : lines)
      j["stores"].push_back({{"dataset", l.store.dataset},
                             {"backbone", l.store.backbone},
                             {"path", l.store.path.string()},
                             {"state", l.state},
                             {"units_done", l.store.units_done},
                             {"units", l.store.units},
                             {"stale_attribute", l.store.stale_attribute},
                             {"stored_value", l.store.stored_value},
                             {"expected_value", l.store.expected_value},
                             {"slurm_job", l.slurm_job},
                             {"slurm_state", l.slurm_state},
                             {"error", l.error}});
    j["store_counts"] = counts;
    j["results"] = {{"path", results_path.string()}, {"state", results_state}};
    if (latest) {
      j["submission"] = {{"id", latest->id},
                         {"dir", latest->dir.string()},
                         {"extract_job_id", latest->extract_job_id},
                         {"reduce_job_id", latest->reduce_job_id},
                         {"element_states", element_states},
                         {"reduce_state", reduce_state},
                         {"reduce_reason", reduce_reason},
                         {"reduce_error", reduce_error}};
    } else {
      j["submission"] = nullptr;
    }
    j["slurm_problem"] = slurm_problem;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }

  fmt::print("job {} ({})\noutput {}\n\n", plan.job_name, plan.job_file, plan.output_dir.string());
  std::string summary;
  for (const auto& [state, n] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, state);
  fmt::print("stores: {} ({})\n", lines.size(), summary);
  for (const auto& l : lines) {
    if (l.state == "complete") continue;
    std::string detail;
    if (l.state == "partial")
      detail = fmt::format("{} of {} units", l.store.units_done, l.store.units);
    if (!l.store.problem.empty() && l.state == "partial") detail += ", " + l.store.problem;
    if (!l.slurm_job.empty())
      detail += fmt::format("{}Slurm {} {}", detail.empty() ? "" : "; ", l.slurm_job,
                            l.slurm_state.empty() ? "(unknown to Slurm now)" : l.slurm_state);
    if (!l.error.empty()) detail += (detail.empty() ? "" : "; ") + short_message(l.error);
    fmt::print("  {:<9} {}/{}  {}\n", l.state, l.store.dataset, l.store.backbone, detail);
  }
  fmt::print("\nresults: {} ({})\n", results_path.string(), results_state);
  if (!latest) {
    fmt::print("\nslurm: no submission yet (gensweep submit {})\n", args.positional()[0]);
    return 0;
  }
  fmt::print("\nslurm: submission {} ({} of {}), {}\n", latest->id, submissions.size(),
             submissions.size(), latest->dir.string());
  if (!latest->extract_job_id.empty()) {
    std::string states;
    for (const auto& [state, n] : element_states)
      states += fmt::format("{}{} {}", states.empty() ? "" : ", ", n, state);
    fmt::print("  extraction array {}: {}\n", latest->extract_job_id, states);
  }
  fmt::print("  reduction {}: {}{}{}\n", latest->reduce_job_id,
             reduce_state.empty() ? "unknown to Slurm now" : reduce_state,
             reduce_reason.empty() ? "" : " (" + reduce_reason + ")",
             reduce_error.empty() ? "" : ": " + short_message(reduce_error));
  if (!slurm_problem.empty()) fmt::print("  (Slurm could not be asked: {})\n", slurm_problem);
  return 0;
}

}  // namespace gensweep::cli
