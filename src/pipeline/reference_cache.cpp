#include "gensweep/pipeline/reference_cache.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cache_encoding.h"
#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/version.h"
#include "gensweep/pipeline/metric_group.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {
namespace {

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
      auto id = store_identity(*st);
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

void encode_side_arrays(const std::map<std::string, store::SideArray>& arrays, ByteWriter& out) {
  out.put(static_cast<std::int64_t>(arrays.size()));
  for (const auto& [name, a] : arrays) {
    out.put_string(name);
    out.put_vector(a.shape);
    out.put(static_cast<std::uint8_t>(a.integer));
    out.put_vector(a.reals);
    out.put_vector(a.integers);
    out.put(static_cast<std::int64_t>(a.attributes.size()));
    for (const auto& [key, value] : a.attributes) {
      out.put_string(key);
      out.put_string(value);
    }
  }
}

std::map<std::string, store::SideArray> decode_side_arrays(ByteReader& in) {
  std::map<std::string, store::SideArray> arrays;
  const auto count = in.get<std::int64_t>();
  for (std::int64_t i = 0; i < count; ++i) {
    std::string name = in.get_string();
    store::SideArray a;
    a.shape = in.get_vector<std::int64_t>();
    a.integer = in.get<std::uint8_t>() != 0;
    a.reals = in.get_vector<double>();
    a.integers = in.get_vector<std::int64_t>();
    const auto attributes = in.get<std::int64_t>();
    for (std::int64_t k = 0; k < attributes; ++k) {
      std::string key = in.get_string();
      a.attributes[key] = in.get_string();
    }
    arrays[std::move(name)] = std::move(a);
  }
  return arrays;
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

// The radii of one k: every reference row's distance to its k-th nearest other reference row.
struct ReferenceRadii final : ReferenceState {
  int k = 0;
  std::vector<double> radii;
};

// Side-file layout: radii/k<k>, [N] float64, attributes kind = knn_radii, k, definition. Decode
// checks the row count and that every radius is a finite non-negative distance.
StateCodec radii_codec(int k, std::int64_t rows) {
  StateCodec codec;
  codec.prefix = fmt::format("radii/k{}", k);
  codec.encode = [name = codec.prefix](const ReferenceState& state) {
    const auto& r = dynamic_cast<const ReferenceRadii&>(state);
    std::map<std::string, store::SideArray> out;
    out[name] =
        side_reals({static_cast<std::int64_t>(r.radii.size())}, r.radii,
                   {{"kind", "knn_radii"},
                    {"k", std::to_string(r.k)},
                    {"definition",
                     "exact float64 Euclidean distance to the k-th nearest other reference row"}});
    return out;
  };
  codec.decode = [name = codec.prefix, k,
                  rows](const std::map<std::string, store::SideArray>& arrays)
      -> std::shared_ptr<const ReferenceState> {
    const auto& a = side_array(arrays, name, {rows});
    if (side_attribute(a, "kind", name) != "knn_radii" ||
        side_attribute(a, "k", name) != std::to_string(k))
      throw UnusableState(fmt::format("{} holds other radii", name));
    for (double r : a.reals) {
      if (!std::isfinite(r) || r < 0)
        throw UnusableState(fmt::format("{} holds a radius that is not a distance", name));
    }
    auto state = std::make_shared<ReferenceRadii>();
    state->k = k;
    state->radii = a.reals;
    return state;
  };
  return codec;
}

}  // namespace

store::SideArray side_reals(std::vector<std::int64_t> shape, std::vector<double> values,
                            store::Attributes attributes) {
  store::SideArray a;
  a.shape = std::move(shape);
  a.reals = std::move(values);
  a.attributes = std::move(attributes);
  return a;
}

const store::SideArray& side_array(const std::map<std::string, store::SideArray>& arrays,
                                   const std::string& name,
                                   const std::vector<std::int64_t>& shape) {
  auto it = arrays.find(name);
  if (it == arrays.end()) throw UnusableState(fmt::format("array {} is missing", name));
  if (it->second.integer || it->second.shape != shape)
    throw UnusableState(fmt::format("array {} has the wrong type or shape", name));
  return it->second;
}

const std::string& side_attribute(const store::SideArray& a, const std::string& name,
                                  const std::string& where) {
  auto it = a.attributes.find(name);
  if (it == a.attributes.end())
    throw UnusableState(fmt::format("{} has no attribute {}", where, name));
  return it->second;
}

std::int64_t side_integer(const store::SideArray& a, const std::string& name,
                          const std::string& where) {
  auto v = parse_int64(side_attribute(a, name, where));
  if (!v) throw UnusableState(fmt::format("{}: attribute {} is not an integer", where, name));
  return *v;
}

store::Attributes set_identity(const Plan& plan, const StoreCatalogue& catalogue,
                               const std::string& dataset, const std::string& backbone) {
  const DatasetPlan& d = plan.dataset(dataset);
  if (d.statistics) {
    auto id = features_identity(d.features_spec);
    id["statistics_entry"] = d.statistics_entry;
    return id;
  }
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

std::shared_ptr<const ReferenceState> ReferenceCache::read_state(const StateCodec& codec) {
  auto arrays = read(codec.prefix);
  if (!arrays || arrays->empty()) return nullptr;
  try {
    return codec.decode(*arrays);
  } catch (const UnusableState& e) {
    log::info("reference cache {}: {} is unusable ({}); recomputing it", path_.string(),
              codec.prefix, e.what());
    return nullptr;
  }
}

std::shared_ptr<const ReferenceState> ReferenceCache::lookup(const StateCodec& codec,
                                                             const dist::Comm& comm,
                                                             bool& from_file) {
  from_file = false;
  // The memory holds the same collective states on every rank (the collective put and the
  // broadcast below).
  if (auto it = states_.find(codec.prefix); it != states_.end()) return it->second;
  std::shared_ptr<const ReferenceState> state;
  if (comm.size() == 1) {
    state = read_state(codec);
  } else {
    // Rank 0 reads the side file; the arrays travel in the one archive format and every rank
    // decodes them with the same codec, so every rank holds the same bits.
    ByteWriter out;
    if (comm.is_root()) {
      auto found = read_state(codec);
      out.put(static_cast<std::uint8_t>(found ? 1 : 0));
      if (found) encode_side_arrays(codec.encode(*found), out);
    }
    std::vector<std::uint8_t> bytes = out.take();
    comm.broadcast(bytes);
    ByteReader in(bytes, "reference state " + codec.prefix);
    if (in.get<std::uint8_t>() != 0) state = codec.decode(decode_side_arrays(in));
    in.expect_end();
  }
  if (!state) return nullptr;
  from_file = true;
  states_[codec.prefix] = state;
  return state;
}

std::shared_ptr<const ReferenceState> ReferenceCache::find(const StateCodec& codec) {
  const dist::Comm serial;
  return find(codec, serial);
}

std::shared_ptr<const ReferenceState> ReferenceCache::find(const StateCodec& codec,
                                                           const dist::Comm& comm) {
  bool from_file = false;
  auto state = lookup(codec, comm, from_file);
  if (from_file && comm.is_root()) ++loaded_;
  return state;
}

std::optional<Radii> ReferenceCache::radii(const std::vector<int>& ks_in, std::int64_t rows,
                                           const dist::Comm& comm) {
  const std::set<int> ks(ks_in.begin(), ks_in.end());
  Radii out;
  bool any_from_file = false;
  for (int k : ks) {
    const StateCodec codec = radii_codec(k, rows);
    // Radii kept in memory for another row count are not these (decode checks the file's).
    if (auto it = states_.find(codec.prefix); it != states_.end()) {
      const auto& r = dynamic_cast<const ReferenceRadii&>(*it->second);
      if (static_cast<std::int64_t>(r.radii.size()) != rows) states_.erase(it);
    }
    bool from_file = false;
    auto state = lookup(codec, comm, from_file);
    if (!state) return std::nullopt;
    any_from_file = any_from_file || from_file;
    out[k] = dynamic_cast<const ReferenceRadii&>(*state).radii;
  }
  // As one structure: loaded when any of its radii came from the side file.
  if (any_from_file && comm.is_root()) loaded_ += static_cast<std::int64_t>(ks.size());
  return out;
}

void ReferenceCache::put_radii(const Radii& radii, const dist::Comm& comm) {
  std::vector<StateCodec> codecs;
  codecs.reserve(radii.size());
  std::vector<std::pair<const StateCodec*, std::shared_ptr<const ReferenceState>>> states;
  for (const auto& [k, values] : radii) {
    auto state = std::make_shared<ReferenceRadii>();
    state->k = k;
    state->radii = values;
    codecs.push_back(radii_codec(k, static_cast<std::int64_t>(values.size())));
    states.emplace_back(&codecs.back(), std::move(state));
  }
  put(states, comm);
  if (comm.is_root()) computed_ += static_cast<std::int64_t>(radii.size());
}

void ReferenceCache::put(const StateCodec& codec, std::shared_ptr<const ReferenceState> state) {
  save(codec.encode(*state));
  states_[codec.prefix] = std::move(state);
}

void ReferenceCache::put(const StateCodec& codec, std::shared_ptr<const ReferenceState> state,
                         const dist::Comm& comm) {
  put({{&codec, std::move(state)}}, comm);
}

void ReferenceCache::put(
    const std::vector<std::pair<const StateCodec*, std::shared_ptr<const ReferenceState>>>& states,
    const dist::Comm& comm) {
  std::map<std::string, store::SideArray> arrays;
  for (const auto& [codec, state] : states) {
    states_[codec->prefix] = state;
    if (comm.is_root()) arrays.merge(codec->encode(*state));
  }
  if (comm.is_root()) save(std::move(arrays));
}

}  // namespace gensweep::pipeline
