#include "gensweep/pipeline/run.h"

#include <chrono>
#include <map>

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/version.h"
#include "gensweep/dist/phase.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/reduce.h"
#include "gensweep/pipeline/study_analysis.h"
#include "gensweep/pipeline/visual_inputs.h"
#include "gensweep/report/writers.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {
namespace {

// Dataset and backbone summaries from the catalogue of the stores, so `reduce` alone reports the
// same.
void summarize_stores(const Plan& plan, const StoreCatalogue& catalogue,
                      report::RunResults& results) {
  std::map<std::string, report::BackboneSummary> backbones;
  for (const auto& d : plan.datasets) {
    report::DatasetSummary ds;
    ds.id = d.id;
    ds.source = d.has_images() ? d.images->description() : d.description;
    for (const auto& task : plan.extraction) {
      if (task.dataset != d.id) continue;
      for (const auto& b : task.backbones) {
        const StoreState& state = catalogue.at(d.id, b);
        if (state.kind != StoreState::Kind::kComplete) continue;
        const auto& attrs = state.identity;
        auto attribute = [&](const char* key) {
          auto it = attrs.find(key);
          return it == attrs.end() ? std::string() : it->second;
        };
        ds.images = std::stoll(attribute("rows"));
        ds.valid = state.valid;
        ds.failed = ds.images - ds.valid;
        ds.fingerprint = attribute("dataset_fingerprint");
        report::BackboneSummary bs;
        bs.id = b;
        bs.kind = attribute("backbone_kind");
        bs.dim = std::stoll(attribute("feature_dim"));
        bs.identity = attribute("backbone_identity");
        bs.preprocessing = attribute("preprocessing");
        backbones.emplace(b, bs);
        report::StoreSummary ss;
        ss.dataset = d.id;
        ss.backbone = b;
        ss.path = state.path.string();
        results.stores.push_back(ss);
      }
    }
    results.datasets.push_back(ds);
  }
  for (const auto& b : plan.backbones) {
    auto it = backbones.find(b.id);
    if (it != backbones.end()) {
      results.backbones.push_back(it->second);
    } else {
      report::BackboneSummary bs;
      bs.id = b.id;
      bs.kind = b.kind;
      results.backbones.push_back(bs);
    }
  }
}

void check_failure_budget(const Plan& plan, const std::vector<StoreOutcome>& outcomes) {
  std::map<std::string, std::int64_t> failed;
  for (const auto& o : outcomes)
    failed[o.dataset] = std::max(failed[o.dataset], o.failed);
  for (const auto& [dataset, count] : failed) {
    if (count <= plan.compute.max_failed_images) continue;
    std::string examples;
    auto st = store::FeatureStore::open_read(outcomes.front().path);
    for (const auto& o : outcomes) {
      if (o.dataset != dataset) continue;
      auto failures = store::FeatureStore::open_read(o.path).read_failures();
      for (std::size_t i = 0; i < failures.size() && i < 5; ++i)
        examples += "\n  " + failures[i].reason;
      break;
    }
    throw IoError(fmt::format(
        "dataset '{}': {} images failed to decode, more than compute.max_failed_images = {} "
        "allows (the stores are complete and kept; raise the limit or fix the images):{}",
        dataset, count, plan.compute.max_failed_images, examples));
  }
}

}  // namespace

report::RunResults run_job(const Plan& plan, const dist::Comm& comm, const RunOptions& options,
                           const Stages& stages) {
  const auto start = std::chrono::steady_clock::now();
  // Every store's state against the job, decided once; every stage reads it.
  CatalogueOptions catalogue_options;
  catalogue_options.inputs.verify = options.verify_inputs;
  catalogue_options.threads = threads_per_rank(plan.compute, comm.size());
  StoreCatalogue catalogue = resolve_stores(plan, comm, catalogue_options);
  std::vector<StoreOutcome> outcomes;
  if (stages.extract) {
    outcomes = run_extraction(plan, comm, options, catalogue);
    if (comm.is_root()) {
      for (const auto& o : outcomes) {
        log::info("store {} ({}): {} of {} images valid, {} units computed", o.path.string(),
                  status_name(o.status), o.valid, o.images, o.units_computed);
      }
    }
    // Everyone stops together when the failure budget is exceeded.
    dist::run_phase(comm, [&] {
      if (comm.is_root()) check_failure_budget(plan, outcomes);
    });
  }
  report::RunResults results;
  if (!stages.reduce) return results;
  require_complete(catalogue, stages.extract ? "run" : "reduce");
  {
    ReductionOutput reduced = run_reduction(plan, comm, catalogue);
    results.entries = std::move(reduced.entries);
    results.per_sample = std::move(reduced.per_sample);
    results.cache = reduced.cache;
    results.both_ways = std::move(reduced.both_ways);
    results.rarest_overlap = std::move(reduced.rarest_overlap);
  }
  if (!comm.is_root()) return results;
  results.job_name = plan.job_name;
  results.job_file = plan.job_file;
  results.config_hash = plan.config_hash;
  results.tool_version = tool_version();
  results.git_commit = git_commit();
  results.created_utc = utc_now_iso8601();
  results.ranks = comm.size();
  summarize_stores(plan, catalogue, results);
  // Per-entry notes stay in each entry's diagnostics; the summary says how many entries share each
  // kind of note, so a 100-row table does not print 200 lines.
  std::map<std::string, int> note_counts;
  for (const auto& e : results.entries) {
    if (!e.diagnostics.contains("route")) continue;
    if (e.diagnostics["route"] == "nuclear-norm")
      note_counts
          ["fd: a set has no more images than dimensions (N <= D): the covariances are singular, "
           "so the exact nuclear-norm route was used; FD is biased upward at small N"]++;
    if (e.diagnostics.value("regularization", 0.0) > 0)
      note_counts["fd: a covariance was regularised (see diagnostics.regularization)"]++;
  }
  for (const auto& [note, count] : note_counts) {
    results.warnings.push_back(
        fmt::format("{} ({} of {} entries)", note, count, results.entries.size()));
  }
  const report::TableOptions table_options = report_options();
  results.studies = analyse_studies(plan.studies, results.entries, table_options);
  results.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report::write_all(results, plan.output_dir, table_options);
  // The pictures come after the tables: a figure that cannot be written costs no result.
  report::write_visual_outputs(results, collect_visual_inputs(plan, results), table_options,
                               plan.output_dir);
  return results;
}

}  // namespace gensweep::pipeline
