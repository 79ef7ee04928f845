#pragma once
// The plan: a job expanded into extraction tasks (dataset x backbones) and reduction tasks
// (comparison x backbone x metrics). The same plan drives a local run, an MPI run and (later) a
// Slurm submission. Only plan.cpp knows the config module's structs.

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/metric_parameters.h"
#include "gensweep/features/backbone.h"
#include "gensweep/pipeline/image_source.h"

namespace gensweep::config {
struct Job;
}

namespace gensweep::pipeline {

// How a rank's threads share the forward passes on the CPU (compute.thread_layout).
// kDeterministic: several batches at once, one thread each: features are the same bits for any
// number of threads and ranks. kFast: one batch at a time with every thread inside it.
enum class ThreadLayout { kDeterministic, kFast };

struct ComputeSettings {
  std::int64_t batch_size = 64;
  int threads = 0;  // 0: cores / ranks
  ThreadLayout thread_layout = ThreadLayout::kDeterministic;
  std::string device = "cpu";
  std::int64_t unit_size = 256;
  std::int64_t max_failed_images = 0;
  std::int64_t max_image_pixels = 178956970;
};

// What the run writes for people beside the tables ([report]).
struct ReportSettings {
  int contact_sheet_images = 16;  // images on each contact sheet
};

struct DatasetPlan {
  std::string id;
  std::shared_ptr<ImageSource> images;  // null for datasets whose features are given
  // Features datasets: "x.npy" or "x.h5:/dataset"; statistics datasets: the statistics file.
  std::string features_spec;
  std::string features_backbone;  // the backbone those features or statistics belong to
  bool statistics = false;        // the file holds imported statistics (source = "statistics")
  std::string statistics_entry;   // which set of a file that holds several ("" = its only one)
  std::string description;
  bool has_images() const { return images != nullptr; }
};

struct BackbonePlan {
  std::string id;
  std::string kind;
  std::optional<features::BackboneOptions> options;  // nullopt: "external", features given
};

struct ExtractionTask {
  std::string dataset;
  std::vector<std::string> backbones;
};

struct ReductionTask {
  std::string reference;
  std::string evaluated;
  std::string backbone;
  std::vector<std::string> metrics;
  config::MetricParameterValues parameters;  // what the job set; defaults in the metric table
  // A set against its own manifold (reference == evaluated): the k-NN groups exclude each
  // sample's own ball and the sample itself as a neighbour (docs/METRICS.md, "Both ways").
  bool leave_one_out = false;
};

// The four directions of a both-ways comparison, in table order.
enum class Direction { kForward, kBackward, kSelfReference, kSelfEvaluated };
inline constexpr std::size_t kDirections = 4;

// One (reference A, evaluated B, backbone) of a comparison with directions = "both": the
// reduction tasks of its four directions, (A ref, B eval), (B ref, A eval), (A ref, A eval) and
// (B ref, B eval), the last two leave-one-out. A self direction has no task (kNoTask) when none of
// the comparison's metrics is a k-NN metric: the other metrics are not computed for a set against
// itself.
struct BothWaysPlan {
  static constexpr std::size_t kNoTask = static_cast<std::size_t>(-1);
  std::string reference;  // A
  std::string evaluated;  // B
  std::string backbone;
  std::vector<std::string> metrics;  // the comparison's metrics, job order
  double rarest_fraction = 0.1;      // of each set's rows: the k rarest compared across backbones
  std::array<std::size_t, kDirections> tasks{};  // indices into Plan::reduction, by Direction
};

// A [[studies]] table as the analysis needs it (config::StudyConfig without the TOML): its grid of
// cells, each a dataset compared with the reference in every backbone by the reduction tasks.
struct StudyPlan {
  struct Cell {
    std::string factor;  // "none" for a corruptions study's base
    double level = 0;    // 0 for that base
    int draw = 0;        // which seeded draw (mixtures); 0 otherwise
    std::string dataset;
  };
  std::string id;
  std::string kind;         // "corruptions", "mixtures", "regions"
  std::string factor_name;  // "corruption", "counterfactual", "region"
  std::string level_name;   // "severity", "proportion", "level"
  std::string reference;
  std::string base;
  std::vector<std::string> factors;  // job order
  std::vector<double> levels;        // ascending
  std::vector<std::string> backbones;
  std::vector<std::string> metrics;
  std::vector<Cell> cells;
  std::optional<std::pair<std::string, double>> normalise_by;
};

struct Plan {
  std::string job_name;
  std::string job_file;
  std::string config_hash;
  std::filesystem::path output_dir;
  ComputeSettings compute;
  ReportSettings report;
  std::vector<DatasetPlan> datasets;
  std::vector<BackbonePlan> backbones;
  std::vector<ExtractionTask> extraction;
  std::vector<ReductionTask> reduction;
  std::vector<StudyPlan> studies;
  std::vector<BothWaysPlan> both_ways;  // comparisons with directions = "both", task order

  const DatasetPlan& dataset(std::string_view id) const;
  const BackbonePlan& backbone(std::string_view id) const;
  std::filesystem::path store_path(std::string_view dataset, std::string_view backbone) const;
};

Plan make_plan(const config::Job& job);

// "forward", "backward", "self-reference", "self-evaluated" (results.json, tables).
const char* direction_name(Direction direction);

// compute.threads, or when it is 0 the machine's cores shared by the ranks (at least 1).
int threads_per_rank(const ComputeSettings& compute, int ranks);

}  // namespace gensweep::pipeline
