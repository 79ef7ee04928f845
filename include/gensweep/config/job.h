#pragma once
// A job file as typed structs: what `gensweep` runs. Produced only by the loader (loader.h), which
// validates every field, applies presets and defaults and makes paths absolute; everything
// downstream can trust these values.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/backbone.h"
#include "gensweep/config/dataset.h"
#include "gensweep/config/metric_parameters.h"
#include "gensweep/config/slurm.h"
#include "gensweep/config/source_location.h"
#include "gensweep/config/study.h"

namespace gensweep::config {

enum class DeviceKind {
  kCpu,   // "cpu"
  kAuto,  // "auto": a GPU when one is usable, else the CPU
  kCuda,  // "cuda" (index -1: one per rank) or "cuda:N"
};
struct Device {
  static constexpr int kMaxIndex = 1023;
  DeviceKind kind = DeviceKind::kCpu;
  int index = -1;           // kCuda only: 0..1023, or -1 when not pinned
  std::string str() const;  // "cpu", "auto", "cuda", "cuda:1"
  bool operator==(const Device&) const = default;
};

// compute.thread_layout: how a rank's threads share CPU forward passes.
enum class ThreadLayout {
  kDeterministic,  // "deterministic": concurrent single-threaded forward passes; CPU features are
                   // the same bits for any number of threads and ranks
  kFast,           // "fast": one forward pass at a time on every thread; the last bits of CPU
                   // features depend on the threads per rank
};
inline constexpr std::array<std::string_view, 2> kThreadLayoutNames = {"deterministic", "fast"};

// [compute]: how to run. None of these changes a result beyond float32 round-off except the
// failure policy; with the default thread layout, results do not depend on threads or ranks at all
// (the batch size is recorded in each store: it changes the last bits of network features).
struct ComputeConfig {
  static constexpr int kMinBatchSize = 1, kMaxBatchSize = 65536;
  static constexpr int kMaxThreads = 1024;
  static constexpr int kMinUnitSize = 1, kMaxUnitSize = 1 << 20;
  int batch_size = 64;                        // 1..65536: images per forward pass
  int threads = 0;                            // 0..1024; 0 = cores / ranks
  Device device;                              // "cpu" by default
  int unit_size = 256;                        // 1..1048576: images per resumable work unit
  std::int64_t max_failed_images = 0;         // >= 0: the job fails when more images fail to decode
  std::int64_t max_image_pixels = 178956970;  // >= 1: larger images fail (PIL's bomb limit)
  SourceLocation where;                       // the [compute] header (line 0 when absent)

  // "deterministic" (the default) or "fast"
  ThreadLayout thread_layout = ThreadLayout::kDeterministic;
};

// [[comparisons]] directions: which ways the sets are compared (docs/METRICS.md, "Both ways").
enum class Directions {
  kOne,   // "one": each evaluated set against the reference's manifold (the default)
  kBoth,  // "both": also the reference against each evaluated set's manifold, and each set
          // against its own manifold, leave-one-out
};
inline constexpr std::array<std::string_view, 2> kDirectionsNames = {"one", "both"};

// [[comparisons]]: one reference against several evaluated datasets, in several feature spaces.
struct ComparisonConfig {
  static constexpr double kDefaultRarestFraction = 0.1;
  std::string reference;               // a dataset id
  std::vector<std::string> evaluated;  // dataset ids: non-empty, no repeats, not the reference
  // Backbone ids, resolved: when the file omits the key, every backbone that applies to all the
  // comparison's datasets, in job order.
  std::vector<std::string> backbones;
  std::vector<std::string> metrics;  // metric names, ["fd"] by default
  // [comparisons.parameters]: what the job set (metric -> name -> value), each metric among
  // `metrics`; unset parameters take the defaults of the metric table.
  MetricParameterValues parameters;
  Directions directions = Directions::kOne;
  // "both" only: the k rarest samples whose overlap between feature spaces is reported are this
  // fraction of a set's rows (0 < f <= 1; k = max(1, round(f * rows))).
  double rarest_fraction = kDefaultRarestFraction;
  SourceLocation where;  // the [[comparisons]] header, or the [[studies]] header that made it
  std::string study;     // the study that generated this comparison; empty for the file's own
};

// [report]: what a run writes for people to look at beside results.json (figures, rankings,
// contact sheets, report.html). Nothing here changes a number, so, like [slurm], the table is not
// part of the canonical form or the config hash.
struct ReportConfig {
  static constexpr int kMinContactSheetImages = 1, kMaxContactSheetImages = 1024;
  int contact_sheet_images = 16;  // 1..1024: images on each contact sheet (k rarest, k best, ...)
  SourceLocation where;           // the [report] header (line 0 when absent)
};

struct Job {
  std::string name;                    // a valid name
  std::filesystem::path job_file;      // absolute
  std::filesystem::path output_dir;    // absolute
  std::filesystem::path presets_file;  // absolute; empty when no presets file was available
  ComputeConfig compute;
  std::vector<DatasetConfig> datasets;
  std::vector<BackboneConfig> backbones;
  std::vector<ComparisonConfig> comparisons;  // the file's own, then those studies generated
  std::vector<StudyConfig> studies;
  // [slurm]: how `gensweep submit` asks for resources. Not part of the config hash: where a job
  // runs does not change its numbers.
  SlurmSection slurm;
  ReportConfig report;
  SourceLocation where;  // the [job] header
};

// Look-ups by id; an unknown id throws ConfigError (ids in a loaded job are already checked, so
// this means a caller asked for something the job does not define).
const DatasetConfig& find_dataset(const Job& job, std::string_view id);
const BackboneConfig& find_backbone(const Job& job, std::string_view id);

// Whether `backbone` can produce features for `dataset`: image datasets take every non-external
// backbone; a features dataset takes only the external backbone it names.
bool backbone_applies(const DatasetConfig& dataset, const BackboneConfig& backbone);

}  // namespace gensweep::config
