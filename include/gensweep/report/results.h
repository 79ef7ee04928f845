#pragma once
// The results of one run: what the pipeline hands to every report writer (JSON, CSV, Markdown,
// LaTeX). Plain values, no behaviour: the writers read it, results.json stores it 1:1 (see
// results_schema/results.schema.json), and read_json gives it back, so a table can be re-rendered
// later without re-running anything.

#include <nlohmann/json.hpp>

#include "gensweep/report/study_results.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gensweep::report {

// Identifies results.json documents; a reader refuses other names and newer versions.
inline constexpr const char* kSchemaName = "gensweep-results";
inline constexpr int kSchemaVersion = 1;

// Every member has a default initialiser so that partial designated initialisation
// ({.id = "clean", .images = 10}) is complete and -Wextra stays quiet.
struct DatasetSummary {
  std::string id{};
  // Where the images came from, for a human: "folder: /abs/path",
  // "derived: gaussian_blur(sigma=2) of clean", "features: x.npy".
  std::string source{};
  std::int64_t images = 0;    // images in the source
  std::int64_t valid = 0;     // images whose features were written
  std::int64_t failed = 0;    // images that could not be decoded or processed
  std::string fingerprint{};  // content hash of the dataset (store provenance)
  bool operator==(const DatasetSummary&) const = default;
};

struct BackboneSummary {
  std::string id{};
  std::string kind{};  // "fid-inception", "torchscript", "pixels", ...
  std::int64_t dim = 0;
  std::string identity{};  // sha256 (hex) of the weights, or of the spec for built-ins
  std::string preprocessing{};
  bool operator==(const BackboneSummary&) const = default;
};

// One number: metric(reference, evaluated) in one backbone's feature space.
struct MetricEntry {
  std::string reference{};
  std::string evaluated{};
  std::string backbone{};
  std::string metric{};
  double value = 0;  // may be non-finite; JSON writes it as null plus a note (JSON has no NaN)
  // Free-form facts about how the value was computed (FD: route, n_reference, n_evaluated, dim,
  // ranks, min_eigenvalue, regularization, notes; results_schema/ types the known keys). A positive
  // "regularization" or a "fallback" string flags the value in tables; "non_finite" is reserved
  // for the JSON writer.
  nlohmann::json diagnostics = nlohmann::json::object();
  bool operator==(const MetricEntry&) const = default;
};

struct StoreSummary {
  std::string dataset{};
  std::string backbone{};
  std::string path{};
  bool reused = false;  // true when an existing store matched the job's provenance
  bool operator==(const StoreSummary&) const = default;
};

// The per-sample results of one (reference, evaluated, backbone): an HDF5 file with one 1-D
// dataset per array (results_schema/STORE_LAYOUT.md, "Per-sample results").
struct PerSampleFile {
  std::string reference{};
  std::string evaluated{};
  std::string backbone{};
  std::string path{};
  std::vector<std::string> datasets{};  // sorted
  bool operator==(const PerSampleFile&) const = default;
};

// What the reduce stage took from its caches instead of computing (docs/METRICS.md, "Caching").
struct CacheSummary {
  std::string directory{};              // <output>/cache
  std::int64_t items = 0;               // reduction items: metric groups of comparisons
  std::int64_t reused = 0;              // items taken from the row cache
  std::int64_t computed = 0;            // items computed (items - reused)
  std::int64_t reference_loaded = 0;    // reference structures read from side files
  std::int64_t reference_computed = 0;  // reference structures computed (and written)
  bool operator==(const CacheSummary&) const = default;
};

// One direction of a both-ways comparison (docs/METRICS.md, "Both ways"): "forward" (A ref, B
// eval), "backward" (B ref, A eval), "self-reference" (A against A) or "self-evaluated" (B against
// B), the last two leave-one-out.
struct BothWaysRow {
  std::string direction{};
  std::string reference{};
  std::string evaluated{};
  bool leave_one_out = false;
  // Aligned with BothWaysTable::metrics; nullopt: not computed in this direction (a metric other
  // than the k-NN ones of a set against itself) or not a finite number.
  std::vector<std::optional<double>> values{};
  // Metrics whose value is 0 by definition rather than computed: FD and KID of a set against
  // itself (a distance between a distribution and itself).
  std::vector<std::string> by_definition{};
  bool operator==(const BothWaysRow&) const = default;
};

// The four directions of (A, B) in one feature space, side by side.
struct BothWaysTable {
  std::string reference{};  // A
  std::string evaluated{};  // B
  std::string backbone{};
  std::vector<std::string> metrics{};  // the comparison's metrics, job order
  std::vector<BothWaysRow> rows{};     // forward, backward, self-reference, self-evaluated
  bool operator==(const BothWaysTable&) const = default;
};

// How far two feature spaces agree on which images are rarest: the Jaccard index of the k
// highest rarity scores of one direction's evaluated set in two backbones.
struct RarestOverlap {
  std::string reference{};  // the both-ways pair (A, B) ...
  std::string evaluated{};
  std::string direction{};  // ... and the direction whose evaluated set is ranked
  std::string backbone_a{}, backbone_b{};
  std::int64_t k = 0;  // images taken from each backbone's ranking
  double jaccard = 0;  // |rarest_a and rarest_b| / |rarest_a or rarest_b|
  bool operator==(const RarestOverlap&) const = default;
};

struct RunResults {
  std::string job_name{};
  std::string job_file{};
  std::string config_hash{};  // sha256 (hex) of the resolved job configuration
  std::string tool_version{};
  std::string git_commit{};
  std::string created_utc{};  // "2026-01-31T12:00:00Z", see utc_timestamp()
  int ranks = 1;
  double seconds = 0;  // wall-clock duration of the run
  // Job order: tables list datasets and backbones in the order given here.
  std::vector<DatasetSummary> datasets{};
  std::vector<BackboneSummary> backbones{};
  std::vector<StoreSummary> stores{};
  std::vector<MetricEntry> entries{};
  std::vector<PerSampleFile> per_sample{};
  std::optional<CacheSummary> cache{};          // runs with a reduce stage
  std::vector<BothWaysTable> both_ways{};       // comparisons with directions = "both"
  std::vector<RarestOverlap> rarest_overlap{};  // their backbone pairs, per direction
  std::vector<StudyResults> studies{};          // one per [[studies]] table, in job order
  std::vector<std::string> warnings{};
  bool operator==(const RunResults&) const = default;
};

// The created_utc format: ISO 8601, UTC, whole seconds ("2026-01-31T12:00:00Z").
std::string utc_timestamp(std::chrono::system_clock::time_point time);

// Inconsistencies a writer tolerates but a caller should know about: an entry naming a dataset or
// backbone that is not listed, two entries for the same (reference, evaluated, backbone, metric),
// repeated dataset or backbone ids. Empty when consistent. Writers never throw on these (results
// are not lost at the end of a long run); tables show the first of duplicated entries.
std::vector<std::string> find_problems(const RunResults& results);

}  // namespace gensweep::report
