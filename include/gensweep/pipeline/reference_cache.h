#pragma once
// Reference-structure cache: what every row of a table recomputes from the reference set alone,
// kept in an HDF5 side file next to the reference store ("<store>.refcache.h5"; for a features
// dataset "<output>/cache/reference/<dataset>__<backbone>.refcache.h5") and reused by later rows
// and later runs:
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
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/dist/comm.h"
#include "gensweep/metrics/gmm.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/store/provenance.h"
#include "gensweep/store/side_file.h"

namespace gensweep::pipeline {

inline constexpr const char* kReferenceCacheFormat = "gensweep-reference-cache";

// k -> radius of every reference row (its valid-row order).
using Radii = std::map<int, std::vector<double>>;

// The reference side of GMM-GIQA: the PCA (dim_out = 0 when none) and the mixture fitted on the
// (projected) reference rows.
struct GmmFit {
  metrics::Pca pca;
  metrics::GaussianMixture model;
};

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

  // Collective over `comm`: the radii for every k in `ks`, each of `rows` values, from this run's
  // memory or the side file (rank 0 reads it and broadcasts), the same on every rank; nullopt on
  // every rank when any is missing.
  std::optional<Radii> radii(const std::vector<int>& ks, std::int64_t rows, const dist::Comm& comm);
  // Collective: keeps `radii` (the same on every rank) for the rest of the run; rank 0 adds them
  // to the side file.
  void put_radii(const Radii& radii, const dist::Comm& comm);

  // This rank only: the reference fit for these parameters (a JSON object: components, reg_covar,
  // tol, max_iter, seed, pca) from this rank's memory or the side file; null when absent.
  std::shared_ptr<const GmmFit> gmm(const nlohmann::json& parameters);
  // This rank only: keeps `fit` and adds it to the side file.
  void put_gmm(const nlohmann::json& parameters, std::shared_ptr<const GmmFit> fit);

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
  void save(std::map<std::string, store::SideArray> arrays);

  std::filesystem::path path_;
  std::function<store::Attributes()> identity_fn_;
  std::optional<store::Attributes> identity_;
  bool identity_failed_ = false;
  bool reported_ = false;  // the info log about an unusable file was written
  Radii radii_;
  std::map<std::string, std::shared_ptr<const GmmFit>> gmms_;  // by canonical parameters
  std::int64_t loaded_ = 0, computed_ = 0;
};

}  // namespace gensweep::pipeline
