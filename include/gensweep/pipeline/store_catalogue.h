#pragma once
// One truth for "may this store be used?": the state of every store a job's plan produces,
// decided against the job, resolved once per command and read by every stage and command (run,
// extract, reduce, status, submit, compare, the row and reference caches).
//
// A store is
//   missing   no file yet
//   partial   its provenance matches the job and some units (or none) are done: resumable
//   complete  its provenance matches, every unit is done and its statistics are written
//   stale     its provenance differs from what the job would write (the attribute and both
//             values are named), or it cannot be read: only --rebuild recomputes it
// Provenance is compared by store::find_mismatch against pipeline::expected_provenance, whose
// dataset fingerprint comes from input_digests.h: an image changed, added or removed on disk makes
// every store of the dataset stale, without reading unchanged images again.
//
// Rank 0 opens each store once, checks it and broadcasts the catalogue (state, units, valid rows,
// the caches' identity of the store); the other ranks never open a store to ask again.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/dist/comm.h"
#include "gensweep/features/backbone.h"
#include "gensweep/pipeline/input_digests.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

struct StoreState {
  enum class Kind { kMissing, kPartial, kComplete, kStale };
  std::string dataset;
  std::string backbone;
  std::filesystem::path path;
  Kind kind = Kind::kMissing;
  std::int64_t units_done = 0;
  std::int64_t units = 0;
  // kStale: why, naming the attribute and both values (or the read error); kPartial: "being
  // written by another process now" or "".
  std::string problem;
  // kStale through provenance: the first differing attribute (key order) and both values
  // (stored_value empty when the store lacks the attribute).
  std::string stale_attribute;
  std::string stored_value;
  std::string expected_value;
  // kComplete: valid rows, and what identifies the store's features to the caches (its provenance
  // less job_config_hash and job_file, plus valid_rows and statistics_sha256: see set_identity).
  std::int64_t valid = -1;
  store::Attributes identity;
};

const char* state_name(StoreState::Kind kind);  // "missing", "partial", "complete", "stale"

struct CatalogueOptions {
  InputDigestOptions inputs;  // manifest_dir defaults to <output>/cache/inputs
  int threads = 1;            // per rank, for hashing changed images
  // A backbone that cannot be built (missing weights) makes its existing stores stale with the
  // error as the problem, instead of failing the command: `gensweep status` must still answer.
  bool tolerate_backbone_errors = false;
};

struct StoreCatalogue {
  std::vector<StoreState> stores;  // plan order: dataset, then backbone
  // Image datasets' fingerprints, by id: those of datasets with a store on disk (nothing to
  // compare otherwise, so a first `submit` or `status` reads no image), and those the extraction
  // added (dataset_digest).
  std::map<std::string, DatasetDigest> datasets;
  CatalogueOptions options;  // how it was resolved (refresh_stores and dataset_digest reuse them)
  // Rank 0: the backbone descriptions used so far, by id (the extraction adds those it built), so
  // that a refresh builds no backbone again.
  std::map<std::string, features::BackboneInfo> backbones;
  const StoreState* find(std::string_view dataset, std::string_view backbone) const;
  const StoreState& at(std::string_view dataset, std::string_view backbone) const;  // asserts
  StoreState& at(std::string_view dataset, std::string_view backbone);
};

// <output>/cache/inputs
std::filesystem::path input_manifest_dir(const Plan& plan);

// Collective: fingerprints every image dataset of the plan's extraction tasks that has a store on
// disk (input_digests.h), then rank 0 checks every store and broadcasts the result. Backbones are
// built (on the CPU, by rank 0, only for stores that exist) to learn their identity and
// preprocessing.
StoreCatalogue resolve_stores(const Plan& plan, const dist::Comm& comm,
                              const CatalogueOptions& options);

// Collective: the stores checked again after they changed (extraction), with the fingerprints
// the catalogue already holds; no image is read.
void refresh_stores(const Plan& plan, const dist::Comm& comm, StoreCatalogue& catalogue);

// Collective: the fingerprint of an image dataset, computed now (and kept) when the catalogue did
// not need it yet.
const DatasetDigest& dataset_digest(const Plan& plan, const dist::Comm& comm,
                                    StoreCatalogue& catalogue, const std::string& dataset);

// The decision for one store already open, against the provenance the job expects: used by the
// catalogue and by the extraction, which checks again the store it opened for writing.
struct StoreCheck {
  StoreState::Kind kind = StoreState::Kind::kPartial;  // kPartial, kComplete or kStale
  std::optional<store::AttributeMismatch> mismatch;
};
StoreCheck check_store(const store::FeatureStore& st, const store::Attributes& expected);

// What identifies an open, complete store's features to the row and reference caches.
store::Attributes store_identity(const store::FeatureStore& st);

// Throws StoreError (exit 5) unless every store of the catalogue is complete, naming every store
// that is not, its state and why (the stale attribute with both values), and what to run.
void require_complete(const StoreCatalogue& catalogue, std::string_view command);

}  // namespace gensweep::pipeline
