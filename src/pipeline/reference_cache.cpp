#include "gensweep/pipeline/reference_cache.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cache_encoding.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/version.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {
namespace {

using cache_detail::bits_hex;
using cache_detail::from_bits_hex;
using cache_detail::parse_int64;

constexpr std::string_view kStoreSuffix = ":/features";

store::Attributes features_identity(const std::string& spec) {
  std::string file = spec;
  if (!std::filesystem::exists(file)) {
    const auto colon = spec.rfind(':');
    if (colon != std::string::npos) file = spec.substr(0, colon);
  }
  // A gensweep store given as "store.h5:/features": its provenance, as for image datasets.
  if (spec.size() > kStoreSuffix.size() &&
      spec.compare(spec.size() - kStoreSuffix.size(), kStoreSuffix.size(), kStoreSuffix) == 0) {
    std::optional<store::FeatureStore> st;
    try {
      st.emplace(store::FeatureStore::open_read(file));
    } catch (const StoreError&) {
    }
    if (st) {
      GENSWEEP_CHECK(st->is_complete(), StoreError, "{}: the store is incomplete", file);
      auto id = store_identity(*st, file);
      id["features_spec"] = spec;
      return id;
    }
  }
  const auto canonical = std::filesystem::canonical(file);
  const auto size = std::filesystem::file_size(canonical);
  const auto mtime = std::filesystem::last_write_time(canonical).time_since_epoch();
  return {{"features_spec", spec},
          {"file", canonical.string()},
          {"size", std::to_string(size)},
          {"mtime_ns",
           std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count())}};
}

// "source.created_utc: the file has '...', now '...'" for the first key that differs.
std::string first_difference(const store::Attributes& found, const store::Attributes& expected) {
  for (const auto& [key, value] : expected) {
    auto it = found.find(key);
    if (it == found.end()) return fmt::format("{} is missing, now '{}'", key, value);
    if (it->second != value)
      return fmt::format("{}: the file has '{}', now '{}'", key, it->second, value);
  }
  for (const auto& [key, value] : found) {
    if (!expected.count(key)) return fmt::format("{} = '{}' is not expected", key, value);
  }
  return "no difference";
}

store::SideArray reals(std::vector<std::int64_t> shape, std::vector<double> values,
                       store::Attributes attributes = {}) {
  store::SideArray a;
  a.shape = std::move(shape);
  a.reals = std::move(values);
  a.attributes = std::move(attributes);
  return a;
}

// Thrown (and caught in this file) when a cached structure is unusable.
struct BadStructure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const store::SideArray& array_at(const std::map<std::string, store::SideArray>& arrays,
                                 const std::string& name, std::vector<std::int64_t> shape) {
  auto it = arrays.find(name);
  if (it == arrays.end()) throw BadStructure(fmt::format("array {} is missing", name));
  if (it->second.integer || it->second.shape != shape)
    throw BadStructure(fmt::format("array {} has the wrong type or shape", name));
  return it->second;
}

const std::string& attribute_at(const store::SideArray& a, const std::string& name,
                                const std::string& where) {
  auto it = a.attributes.find(name);
  if (it == a.attributes.end())
    throw BadStructure(fmt::format("{} has no attribute {}", where, name));
  return it->second;
}

std::int64_t int_attribute(const store::SideArray& a, const std::string& name,
                           const std::string& where) {
  auto v = parse_int64(attribute_at(a, name, where));
  if (!v) throw BadStructure(fmt::format("{}: attribute {} is not an integer", where, name));
  return *v;
}

std::string gmm_prefix(const std::string& parameters) {
  return "gmm/" + sha256_hex(parameters).substr(0, 16) + "/";
}

std::map<std::string, store::SideArray> encode_gmm(const std::string& parameters,
                                                   const GmmFit& fit) {
  const auto& m = fit.model;
  const std::string p = gmm_prefix(parameters);
  const std::int64_t k = m.components, d = m.dim;
  std::map<std::string, store::SideArray> out;
  out[p + "weights"] = reals({k}, m.weights,
                             {{"kind", "gmm"},
                              {"parameters", parameters},
                              {"covariance_type", "full"},
                              {"components", std::to_string(k)},
                              {"dim", std::to_string(d)},
                              {"iterations", std::to_string(m.iterations)},
                              {"converged", m.converged ? "1" : "0"},
                              {"lower_bound", fmt::format("{}", m.lower_bound)},
                              {"lower_bound_bits", bits_hex(m.lower_bound)},
                              {"seed", std::to_string(m.seed)},
                              {"kmeans_iterations", std::to_string(m.kmeans_iterations)},
                              {"pca_dim_in", std::to_string(fit.pca.dim_in)},
                              {"pca_dim_out", std::to_string(fit.pca.dim_out)}});
  out[p + "means"] = reals({k, d}, m.means);
  out[p + "covariances"] = reals({k, d, d}, m.covariances);
  out[p + "precisions_cholesky"] = reals({k, d, d}, m.precisions_cholesky);
  out[p + "lower_bounds"] =
      reals({static_cast<std::int64_t>(m.lower_bounds.size())}, m.lower_bounds);
  if (fit.pca.dim_out > 0) {
    out[p + "pca_mean"] = reals({fit.pca.dim_in}, fit.pca.mean);
    out[p + "pca_components"] = reals({fit.pca.dim_out, fit.pca.dim_in}, fit.pca.components);
    out[p + "pca_explained_variance_ratio"] =
        reals({fit.pca.dim_out}, fit.pca.explained_variance_ratio);
  }
  return out;
}

GmmFit decode_gmm(const std::string& parameters,
                  const std::map<std::string, store::SideArray>& arrays) {
  const std::string p = gmm_prefix(parameters);
  auto it = arrays.find(p + "weights");
  if (it == arrays.end()) throw BadStructure("no fit for these parameters");
  const auto& w = it->second;
  const std::string where = p + "weights";
  if (attribute_at(w, "kind", where) != "gmm" || attribute_at(w, "parameters", where) != parameters)
    throw BadStructure(fmt::format("{} holds a fit for other parameters", where));
  GmmFit fit;
  auto& m = fit.model;
  m.components = int_attribute(w, "components", where);
  m.dim = int_attribute(w, "dim", where);
  m.iterations = int_attribute(w, "iterations", where);
  m.converged = int_attribute(w, "converged", where) != 0;
  auto lower_bound = from_bits_hex(attribute_at(w, "lower_bound_bits", where));
  if (!lower_bound) throw BadStructure(fmt::format("{}: bad lower_bound_bits", where));
  m.lower_bound = *lower_bound;
  m.seed = static_cast<std::uint64_t>(int_attribute(w, "seed", where));
  m.kmeans_iterations = int_attribute(w, "kmeans_iterations", where);
  const std::int64_t k = m.components, d = m.dim;
  if (k < 1 || d < 1) throw BadStructure(fmt::format("{}: K = {}, D = {}", where, k, d));
  m.weights = array_at(arrays, p + "weights", {k}).reals;
  m.means = array_at(arrays, p + "means", {k, d}).reals;
  m.covariances = array_at(arrays, p + "covariances", {k, d, d}).reals;
  m.precisions_cholesky = array_at(arrays, p + "precisions_cholesky", {k, d, d}).reals;
  auto lb = arrays.find(p + "lower_bounds");
  if (lb == arrays.end() || lb->second.integer || lb->second.shape.size() != 1)
    throw BadStructure(fmt::format("{}lower_bounds is missing or malformed", p));
  m.lower_bounds = lb->second.reals;
  fit.pca.dim_in = int_attribute(w, "pca_dim_in", where);
  fit.pca.dim_out = int_attribute(w, "pca_dim_out", where);
  if (fit.pca.dim_out > 0) {
    const std::int64_t in = fit.pca.dim_in, o = fit.pca.dim_out;
    if (o != d) throw BadStructure(fmt::format("{}: PCA output {} != GMM dimension {}", p, o, d));
    fit.pca.mean = array_at(arrays, p + "pca_mean", {in}).reals;
    fit.pca.components = array_at(arrays, p + "pca_components", {o, in}).reals;
    fit.pca.explained_variance_ratio =
        array_at(arrays, p + "pca_explained_variance_ratio", {o}).reals;
  }
  return fit;
}

}  // namespace

store::Attributes set_identity(const Plan& plan, const StoreCatalogue& catalogue,
                               const std::string& dataset, const std::string& backbone) {
  const DatasetPlan& d = plan.dataset(dataset);
  if (!d.has_images()) return features_identity(d.features_spec);
  const StoreState& state = catalogue.at(dataset, backbone);
  GENSWEEP_CHECK(state.kind == StoreState::Kind::kComplete, StoreError, "{}: the store is {}",
                 state.path.string(), state_name(state.kind));
  return state.identity;
}

std::filesystem::path reference_cache_path(const Plan& plan, const std::string& dataset,
                                           const std::string& backbone) {
  if (plan.dataset(dataset).has_images())
    return plan.store_path(dataset, backbone).string() + ".refcache.h5";
  return plan.output_dir / "cache" / "reference" /
         fmt::format("{}__{}.refcache.h5", dataset, backbone);
}

ReferenceCache::ReferenceCache(std::filesystem::path side_file,
                               std::function<store::Attributes()> identity)
    : path_(std::move(side_file)), identity_fn_(std::move(identity)) {}

const store::Attributes* ReferenceCache::identity() {
  if (!identity_ && !identity_failed_) {
    try {
      identity_ = identity_fn_();
    } catch (const std::exception& e) {
      identity_failed_ = true;
      log::info("reference cache {}: not used ({})", path_.string(), e.what());
    }
  }
  return identity_ ? &*identity_ : nullptr;
}

store::Attributes ReferenceCache::root_attributes() {
  store::Attributes out;
  for (const auto& [key, value] : *identity())
    out["source." + key] = value;
  out["tool_version"] = tool_version();
  out["git_commit"] = git_commit();
  return out;
}

std::optional<std::map<std::string, store::SideArray>> ReferenceCache::read(
    const std::string& prefix) {
  if (identity() == nullptr || !std::filesystem::exists(path_)) return std::nullopt;
  try {
    auto file = store::read_side_file(path_, kReferenceCacheFormat, prefix);
    const auto expected = root_attributes();
    if (file.attributes != expected) {
      if (!reported_) {
        log::info("reference cache {}: made for other inputs ({}); recomputing and replacing it",
                  path_.string(), first_difference(file.attributes, expected));
      }
      reported_ = true;
      return std::nullopt;
    }
    return std::move(file.arrays);
  } catch (const std::exception& e) {
    if (!reported_) {
      log::info("reference cache {}: unusable ({}); recomputing and replacing it", path_.string(),
                e.what());
    }
    reported_ = true;
    return std::nullopt;
  }
}

void ReferenceCache::save(std::map<std::string, store::SideArray> arrays) {
  if (identity() == nullptr) return;
  const auto attributes = root_attributes();
  // Keep what the current file holds for the same inputs (other k, other fit parameters).
  if (std::filesystem::exists(path_)) {
    try {
      auto file = store::read_side_file(path_, kReferenceCacheFormat);
      if (file.attributes == attributes) {
        for (auto& [name, a] : file.arrays)
          arrays.emplace(name, std::move(a));  // new arrays win
      }
    } catch (const std::exception&) {
      // Unusable: replaced below (read() said so).
    }
  }
  try {
    std::filesystem::create_directories(path_.parent_path());
    store::write_side_file(path_, kReferenceCacheFormat, {attributes, std::move(arrays)});
  } catch (const std::exception& e) {
    log::info("reference cache {}: cannot write it ({}); later runs recompute", path_.string(),
              e.what());
  }
}

std::optional<Radii> ReferenceCache::radii(const std::vector<int>& ks_in, std::int64_t rows,
                                           const dist::Comm& comm) {
  const std::set<int> ks(ks_in.begin(), ks_in.end());
  auto from_memory = [&]() -> std::optional<Radii> {
    Radii out;
    for (int k : ks) {
      auto it = radii_.find(k);
      if (it == radii_.end() || static_cast<std::int64_t>(it->second.size()) != rows)
        return std::nullopt;
      out[k] = it->second;
    }
    return out;
  };
  // The memory holds the same radii on every rank (put_radii and the broadcast below).
  if (auto hit = from_memory()) return hit;
  std::int64_t found = 0;
  Radii got;
  if (comm.is_root()) {
    if (auto arrays = read("radii/")) {
      found = 1;
      for (int k : ks) {
        const std::string name = fmt::format("radii/k{}", k);
        auto it = arrays->find(name);
        bool ok = it != arrays->end() && !it->second.integer &&
                  it->second.shape == std::vector<std::int64_t>{rows} &&
                  it->second.attributes.count("kind") &&
                  it->second.attributes.at("kind") == "knn_radii" &&
                  it->second.attributes.count("k") &&
                  it->second.attributes.at("k") == std::to_string(k);
        if (ok) {
          for (double r : it->second.reals)
            ok = ok && std::isfinite(r) && r >= 0;
        }
        if (!ok) {
          if (it != arrays->end())
            log::info(
                "reference cache {}: {} does not fit {} reference rows or is malformed; "
                "recomputing it",
                path_.string(), name, rows);
          found = 0;
          break;
        }
        got[k] = std::move(it->second.reals);
      }
    }
  }
  comm.broadcast(found);
  if (found == 0) return std::nullopt;
  for (int k : ks) {
    std::vector<double> values = comm.is_root() ? std::move(got[k]) : std::vector<double>{};
    comm.broadcast(values);
    radii_[k] = std::move(values);
  }
  if (comm.is_root()) loaded_ += static_cast<std::int64_t>(ks.size());
  return from_memory();
}

void ReferenceCache::put_radii(const Radii& radii, const dist::Comm& comm) {
  for (const auto& [k, values] : radii)
    radii_[k] = values;
  if (!comm.is_root()) return;
  std::map<std::string, store::SideArray> arrays;
  for (const auto& [k, values] : radii) {
    arrays[fmt::format("radii/k{}", k)] =
        reals({static_cast<std::int64_t>(values.size())}, values,
              {{"kind", "knn_radii"},
               {"k", std::to_string(k)},
               {"definition",
                "exact float64 Euclidean distance to the k-th nearest other reference row"}});
  }
  save(std::move(arrays));
  computed_ += static_cast<std::int64_t>(radii.size());
}

std::shared_ptr<const GmmFit> ReferenceCache::gmm(const nlohmann::json& parameters) {
  const std::string key = parameters.dump();
  if (auto it = gmms_.find(key); it != gmms_.end()) return it->second;
  auto arrays = read(gmm_prefix(key));
  if (!arrays || arrays->empty()) return nullptr;
  try {
    auto fit = std::make_shared<const GmmFit>(decode_gmm(key, *arrays));
    gmms_[key] = fit;
    ++loaded_;
    return fit;
  } catch (const BadStructure& e) {
    log::info("reference cache {}: the GMM fit is unusable ({}); refitting", path_.string(),
              e.what());
    return nullptr;
  }
}

void ReferenceCache::put_gmm(const nlohmann::json& parameters, std::shared_ptr<const GmmFit> fit) {
  const std::string key = parameters.dump();
  save(encode_gmm(key, *fit));
  gmms_[key] = std::move(fit);
  ++computed_;
}

}  // namespace gensweep::pipeline
