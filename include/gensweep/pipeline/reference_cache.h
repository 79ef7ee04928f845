#pragma once
// Reference-structure cache: what every row of a table recomputes from the reference set alone,
// kept in an HDF5 side file next to the reference store ("<store>.refcache.h5"; for a features
// dataset "<output>/cache/reference/<dataset>__<backbone>.refcache.h5") and reused by later rows
// and later runs:
//
// Each structure is a reference state of a metric group (pipeline/metric_group.h, stage 1),
// written and read through its group's StateCodec:
//
//   radii/k<k>           [N] float64   k-NN radii of the reference rows (distance to the k-th
//                                      nearest other row), for every k in use (precision/recall,
//                                      density/coverage, rarity)
//   gmm/<id>/...         the GMM of giqa_gmm / qs fitted on the reference rows (weights, means,
//                                      covariances, precisions_cholesky, lower_bounds, the PCA
//                                      when pca > 0) for one set of fit parameters
//
// The reference statistics (mean, scatter) need no side file: they are in the store
// (/stats/...) and FeatureSet reads them from there, once per rank.
//
// Provenance: root attributes "source.<key>" hold the reference set's identity (set_identity:
// the store's provenance, created_utc and statistics digest included, or the features file's
// path, size and mtime) and the tool version and git commit that wrote them; each structure
// records its kind and parameters. A file whose provenance differs, or that cannot be read, is
// ignored with an info log and replaced at the next write; a structure whose parameters differ is
// simply another structure. Layout: results_schema/STORE_LAYOUT.md ("Reference-structure cache").
//
// Concurrency: the side file is written whole (store/side_file.h: unique temporary name, rename),
// so concurrent writers (other jobs, other ranks) never corrupt it; the last writer wins and a
// structure it did not know is recomputed by a later run. Within a run, rank 0 writes radii; the
// rank that fits a GMM writes it.
//
// Nothing here is ever an error: a cache that cannot be read or written only costs recomputation.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/store/provenance.h"
#include "gensweep/store/side_file.h"

namespace gensweep::pipeline {

inline constexpr const char* kReferenceCacheFormat = "gensweep-reference-cache";

// What stage 1 of a metric group made of a reference set (pipeline/metric_group.h).
class ReferenceState;

// Thrown by a codec's decode when the arrays it finds are not a state it can use (missing, of the
// wrong shape, for other parameters); the cache logs why and the state is recomputed.
struct UnusableState : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The one codec of reference states: how a state is written to the side file and read back, as
// named float64 / int64 arrays with string attributes under one prefix ("radii/k3",
// "gmm/<hash>/"). A group makes the codec of a request (capturing its parameters and the
// reference's row count, which decode checks). States cross ranks in the same form (the arrays in
// a core/archive.h buffer).
struct StateCodec {
  std::string prefix;
  std::function<std::map<std::string, store::SideArray>(const ReferenceState&)> encode;
  // Throws UnusableState.
  std::function<std::shared_ptr<const ReferenceState>(
      const std::map<std::string, store::SideArray>&)>
      decode;
};

// k -> radius of every reference row (its valid-row order).
using Radii = std::map<int, std::vector<double>>;

// Helpers for codecs: a float64 array; the array `name` of exactly `shape` (UnusableState
// otherwise); a string / integer attribute of an array (UnusableState when missing or malformed).
store::SideArray side_reals(std::vector<std::int64_t> shape, std::vector<double> values,
                            store::Attributes attributes = {});
const store::SideArray& side_array(const std::map<std::string, store::SideArray>& arrays,
                                   const std::string& name, const std::vector<std::int64_t>& shape);
const std::string& side_attribute(const store::SideArray& array, const std::string& name,
                                  const std::string& where);
std::int64_t side_integer(const store::SideArray& array, const std::string& name,
                          const std::string& where);

// What identifies the features of `dataset` in `backbone` for caching. Image datasets: every
// provenance attribute of the store except job_config_hash and job_file (which change when a job
// gains a dataset, not the features), plus the valid row count and the sha256 of the stored
// statistics' count and mean ("statistics": written when the store completes, so a rebuilt store
// differs even within the second of its created_utc). Features datasets: the same for a file that
// is a gensweep store, else the file's canonical path, size and modification time (ns).
// Image datasets' identities come from the store catalogue (store_catalogue.h: store_identity),
// which read them once. Throws (StoreError, IoError) when the store or file cannot be read.
store::Attributes set_identity(const Plan& plan, const StoreCatalogue& catalogue,
                               const std::string& dataset, const std::string& backbone);

// Where the side file of `dataset` in `backbone` lives.
std::filesystem::path reference_cache_path(const Plan& plan, const std::string& dataset,
                                           const std::string& backbone);

class ReferenceCache {
 public:
  // `identity` is evaluated at most once, on the first rank that reads or writes the side file;
  // when it throws, the cache is off for this set (info log).
  ReferenceCache(std::filesystem::path side_file, std::function<store::Attributes()> identity);

  // This rank only: the state under `codec.prefix`, from this rank's memory or the side file
  // (counted as loaded); null when absent or unusable (info log saying why).
  std::shared_ptr<const ReferenceState> find(const StateCodec& codec);
  // Collective over `comm`: the same, rank 0 looking it up (and counting it) and every rank
  // receiving it.
  std::shared_ptr<const ReferenceState> find(const StateCodec& codec, const dist::Comm& comm);
  // This rank only: keeps `state` for the rest of the run and adds it to the side file.
  void put(const StateCodec& codec, std::shared_ptr<const ReferenceState> state);
  // Collective: every rank keeps `state` (the same on every rank); rank 0 writes it.
  void put(const StateCodec& codec, std::shared_ptr<const ReferenceState> state,
           const dist::Comm& comm);
  // Several states written at once (one rewrite of the side file): every rank keeps them, rank 0
  // writes them.
  void put(const std::vector<std::pair<const StateCodec*, std::shared_ptr<const ReferenceState>>>&
               states,
           const dist::Comm& comm);

  // The k-NN radii (radii/k<k>, the manifold group's stage 1), through the codec above:
  // Collective over `comm`: the radii for every k in `ks`, each of `rows` values, from this run's
  // memory or the side file (rank 0 reads it and broadcasts), the same on every rank; nullopt on
  // every rank when any is missing. Counts them as loaded (rank 0).
  std::optional<Radii> radii(const std::vector<int>& ks, std::int64_t rows, const dist::Comm& comm);
  // Collective: keeps `radii` (the same on every rank) for the rest of the run; rank 0 adds them
  // to the side file and counts them as computed.
  void put_radii(const Radii& radii, const dist::Comm& comm);

  // Counted by the group that made them: structures computed (and put here).
  void count_computed(std::int64_t n) { computed_ += n; }

  const std::filesystem::path& path() const { return path_; }
  // Structures this rank read from the side file / computed and wrote (radii count per k).
  std::int64_t loaded() const { return loaded_; }
  std::int64_t computed() const { return computed_; }

 private:
  const store::Attributes* identity();  // null when it cannot be computed
  store::Attributes root_attributes();
  // The arrays under `prefix` of a side file whose provenance matches; nullopt (with an info log
  // saying why, once) otherwise.
  std::optional<std::map<std::string, store::SideArray>> read(const std::string& prefix);
  // Memory, else the side file (collectively over `comm`); `from_file` says which.
  std::shared_ptr<const ReferenceState> lookup(const StateCodec& codec, const dist::Comm& comm,
                                               bool& from_file);
  // The state decoded from the side file's arrays under the codec's prefix, or null.
  std::shared_ptr<const ReferenceState> read_state(const StateCodec& codec);
  void save(std::map<std::string, store::SideArray> arrays);

  std::filesystem::path path_;
  std::function<store::Attributes()> identity_fn_;
  std::optional<store::Attributes> identity_;
  bool identity_failed_ = false;
  bool reported_ = false;  // the info log about an unusable file was written
  std::map<std::string, std::shared_ptr<const ReferenceState>> states_;  // by codec prefix
  std::int64_t loaded_ = 0, computed_ = 0;
};

}  // namespace gensweep::pipeline
