#include "gensweep/pipeline/reduce.h"

#include <map>
#include <set>

#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/core/log.h"
#include "gensweep/dist/phase.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/both_ways.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/reference_cache.h"
#include "gensweep/pipeline/result_cache.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/per_sample_file.h"
#include "group_result_codec.h"

namespace gensweep::pipeline {
namespace {

// A features file that is itself a gensweep store contributes its valid rows and stored
// statistics; any other file is read as a plain N x D matrix.
FeatureSet load_features_dataset(const std::string& spec) {
  constexpr std::string_view kStoreSuffix = ":/features";
  if (spec.size() > kStoreSuffix.size() &&
      spec.compare(spec.size() - kStoreSuffix.size(), kStoreSuffix.size(), kStoreSuffix) == 0) {
    const std::string file = spec.substr(0, spec.size() - kStoreSuffix.size());
    std::optional<store::FeatureStore> st;
    try {
      st.emplace(store::FeatureStore::open_read(file));
    } catch (const StoreError&) {
      // Not a gensweep store: read it as a plain matrix below.
    }
    if (st) {
      const auto progress = st->progress();
      GENSWEEP_CHECK(st->is_complete(), StoreError,
                     "{}: store is incomplete ({} units unfinished); finish its extraction first",
                     file, std::count(progress.begin(), progress.end(), std::uint8_t{0}));
      return FeatureSet::from_store(file);
    }
  }
  return FeatureSet::from_matrix(store::load_external_features(spec));
}

// Per-rank cache: a reference set is typically compared with many evaluated sets. Stores are
// taken from the catalogue (which decided they may be used) and opened once each.
class FeatureSetCache {
 public:
  FeatureSetCache(const Plan& plan, const StoreCatalogue& catalogue)
      : plan_(plan), catalogue_(catalogue) {}
  const FeatureSet& get(const std::string& dataset, const std::string& backbone) {
    auto key = dataset + "\n" + backbone;
    auto it = sets_.find(key);
    if (it != sets_.end()) return it->second;
    const DatasetPlan& d = plan_.dataset(dataset);
    FeatureSet set = d.has_images() ? FeatureSet::from_store(catalogue_.at(dataset, backbone))
                     : d.statistics
                         ? FeatureSet::from_statistics_file(d.features_spec, d.statistics_entry)
                         : load_features_dataset(d.features_spec);
    return sets_.emplace(key, std::move(set)).first->second;
  }

 private:
  const Plan& plan_;
  const StoreCatalogue& catalogue_;
  std::map<std::string, FeatureSet> sets_;
};

// Per-rank reference-structure caches, one per (reference dataset, backbone).
class ReferenceCaches {
 public:
  ReferenceCaches(const Plan& plan, const StoreCatalogue& catalogue)
      : plan_(plan), catalogue_(catalogue) {}
  ReferenceCache* get(const std::string& dataset, const std::string& backbone) {
    auto key = dataset + "\n" + backbone;
    auto it = caches_.find(key);
    if (it == caches_.end()) {
      auto identity = [plan = &plan_, catalogue = &catalogue_, dataset, backbone] {
        return set_identity(*plan, *catalogue, dataset, backbone);
      };
      it = caches_
               .emplace(key, std::make_unique<ReferenceCache>(
                                 reference_cache_path(plan_, dataset, backbone), identity))
               .first;
    }
    return it->second.get();
  }
  std::int64_t loaded() const {
    std::int64_t n = 0;
    for (const auto& [key, c] : caches_)
      n += c->loaded();
    return n;
  }
  std::int64_t computed() const {
    std::int64_t n = 0;
    for (const auto& [key, c] : caches_)
      n += c->computed();
    return n;
  }

 private:
  const Plan& plan_;
  const StoreCatalogue& catalogue_;
  std::map<std::string, std::unique_ptr<ReferenceCache>> caches_;
};

// One group of metrics of one reduction task: the unit of work of the reduce stage.
struct Item {
  std::size_t task;
  const MetricGroup* group;
  std::vector<std::string> metrics;  // the task's metrics of this group, in job order
};

std::vector<Item> make_items(const Plan& plan) {
  std::vector<Item> items;
  for (std::size_t t = 0; t < plan.reduction.size(); ++t) {
    std::map<std::string, std::size_t> slot;  // group name -> index in items
    for (const auto& m : plan.reduction[t].metrics) {
      const MetricGroup& group = *find_metric(m).group;
      auto [it, inserted] = slot.emplace(group.name(), items.size());
      if (inserted) items.push_back({t, &group, {}});
      items[it->second].metrics.push_back(m);
    }
  }
  return items;
}

std::map<std::string, MetricParameters> item_parameters(const Plan& plan, const Item& item) {
  std::map<std::string, MetricParameters> out;
  for (const auto& m : item.metrics)
    out.emplace(m, MetricParameters(m, plan.reduction[item.task].parameters));
  return out;
}

GroupRequest make_request(const Plan& plan, const Item& item, FeatureSetCache& cache,
                          ReferenceCaches& references, const dist::Comm& comm, int threads) {
  const ReductionTask& task = plan.reduction[item.task];
  GroupRequest request{cache.get(task.reference, task.backbone),
                       cache.get(task.evaluated, task.backbone),
                       item.metrics,
                       item_parameters(plan, item),
                       comm,
                       threads,
                       references.get(task.reference, task.backbone),
                       task.leave_one_out};
  GENSWEEP_ASSERT(!task.leave_one_out || item.group->supports_leave_one_out(),
                  "metric group {} cannot compare a set with itself leave-one-out",
                  item.group->name());
  return request;
}

std::string what_of(const Plan& plan, const Item& item) {
  const ReductionTask& t = plan.reduction[item.task];
  return fmt::format("{} of {} vs {} in {}: ", fmt::join(item.metrics, "/"), t.evaluated,
                     t.reference, t.backbone);
}

// Per-sample files read by the row-cache look-up, by task (nullopt: missing or unusable).
using PerSampleFiles = std::map<std::size_t, std::optional<store::PerSampleData>>;

// The per-sample arrays of a cached item (name -> length), from its task's per-sample file, which
// must record the item's key. Throws IoError saying what is wrong.
PerSampleArrays cached_arrays(const Plan& plan, const Item& item, const CachedItem& cached,
                              PerSampleFiles& files) {
  PerSampleArrays arrays;
  if (cached.reals.empty() && cached.integers.empty()) return arrays;
  const auto file = per_sample_path(plan, plan.reduction[item.task]);
  auto [ps, first] = files.try_emplace(item.task);
  if (first && std::filesystem::exists(file)) {
    try {
      ps->second = store::read_per_sample_file(file);
    } catch (const std::exception& e) {
      log::info("row cache: {} is unusable ({})", file.string(), e.what());
    }
  }
  GENSWEEP_CHECK(ps->second.has_value(), IoError, "its per-sample file {} is missing",
                 file.string());
  const auto& data = *ps->second;
  auto key = data.attributes.find(per_sample_key_attribute(item.group->name()));
  GENSWEEP_CHECK(key != data.attributes.end() && key->second == cached.key, IoError,
                 "the per-sample file {} was written for other inputs", file.string());
  auto take = [&](const auto& lengths, const auto& stored, auto& into) {
    for (const auto& [name, length] : lengths) {
      auto a = stored.find(name);
      GENSWEEP_CHECK(a != stored.end() && static_cast<std::int64_t>(a->second.size()) == length,
                     IoError, "the per-sample file {} lacks {} [{}]", file.string(), name, length);
      into[name] = a->second;
    }
  };
  take(cached.reals, data.reals, arrays.reals);
  take(cached.integers, data.integers, arrays.integers);
  return arrays;
}

// The item's result from its row-cache entry at `path`: nullopt (info log) when the entry was
// made for other inputs; throws when it is unusable.
std::optional<GroupResult> reuse_cached_item(const Plan& plan, const Item& item, const ItemKey& key,
                                             const std::filesystem::path& path,
                                             PerSampleFiles& files) {
  CachedItem cached = decode_cached_item(read_file(path, "row cache entry"));
  if (cached.key != key.hex) {
    log::info("row cache {}: made for other inputs ({}); recomputing", path.string(),
              describe_key_change(cached.material, key.material));
    return std::nullopt;
  }
  const std::set<std::string> members(item.metrics.begin(), item.metrics.end());
  std::set<std::string> have;
  for (const auto& [m, v] : cached.values)
    have.insert(m);
  GENSWEEP_CHECK(have == members, IoError, "it holds {} instead of {}", fmt::join(have, "/"),
                 fmt::join(members, "/"));
  GroupResult r;
  r.per_sample = cached_arrays(plan, item, cached, files);
  for (auto& [m, v] : cached.values) {
    // Reused: the diagnostics (timings included) are those of the original computation.
    v.diagnostics["cached"] = true;
    v.diagnostics["cached_utc"] = cached.computed_utc;
    r.values[m] = std::move(v);
  }
  return r;
}

// Rank 0's look-up of every item in the row cache (result_cache.h).
struct RowLookup {
  std::vector<ItemKey> keys;  // hex empty: not cacheable (an input's identity is unavailable)
  std::vector<std::uint8_t> reused;
  std::vector<std::filesystem::path> paths;
};

RowLookup look_up_rows(const Plan& plan, const StoreCatalogue& catalogue,
                       const std::vector<Item>& items, std::vector<GroupResult>& results) {
  RowLookup out;
  out.keys.resize(items.size());
  out.reused.assign(items.size(), 0);
  out.paths.resize(items.size());
  std::map<std::string, std::optional<store::Attributes>> identities;
  auto identity = [&](const std::string& dataset,
                      const std::string& backbone) -> const store::Attributes* {
    auto [it, inserted] = identities.try_emplace(dataset + "\n" + backbone);
    if (inserted) {
      try {
        it->second = set_identity(plan, catalogue, dataset, backbone);
      } catch (const std::exception& e) {
        log::info("row cache: {} in {} has no identity ({}); its rows are computed", dataset,
                  backbone, e.what());
      }
    }
    return it->second ? &*it->second : nullptr;
  };
  PerSampleFiles per_sample;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const ReductionTask& task = plan.reduction[item.task];
    const auto* reference = identity(task.reference, task.backbone);
    const auto* evaluated = identity(task.evaluated, task.backbone);
    if (reference == nullptr || evaluated == nullptr) continue;
    const auto parameters = item_parameters(plan, item);
    // A leave-one-out item computes other numbers from the same inputs: its own key.
    const std::string keyed_group = task.leave_one_out
                                        ? fmt::format("{}/leave-one-out", item.group->name())
                                        : std::string(item.group->name());
    out.keys[i] = make_item_key(keyed_group, item.metrics, parameters, *reference, *evaluated);
    out.paths[i] = result_cache_path(plan, task, item.group->name(), item.metrics, parameters);
    const auto& path = out.paths[i];
    if (!std::filesystem::exists(path)) continue;
    try {
      if (auto r = reuse_cached_item(plan, item, out.keys[i], path, per_sample)) {
        results[i] = std::move(*r);
        out.reused[i] = 1;
      }
    } catch (const std::exception& e) {
      log::info("row cache {}: not reused ({}); recomputing", path.string(), e.what());
    }
  }
  return out;
}

// Stage 1 of the groups whose reference state goes to the side file (GMM fits) runs once per
// reference set and parameters, before the items are dealt: references are dealt round-robin, so
// one rank makes (or loads) every state of a reference and is the only writer of its side file;
// the items then find the state there. Best effort: a state that fails here is left to its items,
// whose errors name them.
void prepare_reference_states(const Plan& plan, const std::vector<Item>& items,
                              const std::vector<std::uint8_t>& reused, FeatureSetCache& sets,
                              ReferenceCaches& references, const dist::Comm& comm, int threads) {
  // (reference, backbone) -> group and resolved parameters (canonical text) -> an item needing it
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::size_t>> needed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (reused[i] || !items[i].group->prepares_reference()) continue;
    const ReductionTask& task = plan.reduction[items[i].task];
    const MetricParameters p(items[i].metrics.front(), task.parameters);
    needed[{task.reference, task.backbone}].emplace(
        std::string(items[i].group->name()) + " " + p.to_json().dump(), i);
  }
  if (needed.empty()) return;
  const dist::Comm serial;
  std::size_t index = 0;
  for (const auto& [reference, states] : needed) {
    if (static_cast<int>(index++ % static_cast<std::size_t>(comm.size())) != comm.rank()) continue;
    for (const auto& [text, i] : states) {
      try {
        items[i].group->reference(make_request(plan, items[i], sets, references, serial, threads));
      } catch (const std::exception& e) {
        log::debug("reference state of {} in {} left to its items: {}", reference.first,
                   reference.second, e.what());
      }
    }
  }
  comm.barrier();  // the side files are written before any rank looks for them
}

// The items one rank computes alone, dealt round-robin; rank 0 receives every result.
void compute_solo_items(const Plan& plan, const std::vector<Item>& items,
                        const std::vector<std::size_t>& solo, FeatureSetCache& sets,
                        ReferenceCaches& references, const dist::Comm& comm, int threads,
                        std::vector<GroupResult>& results) {
  const dist::Comm serial;
  ByteWriter mine;
  dist::run_phase(comm, [&] {
    for (auto k : dist::round_robin_share(static_cast<std::int64_t>(solo.size()), comm.rank(),
                                          comm.size())) {
      const std::size_t i = solo[k];
      try {
        GroupResult r;
        items[i].group->compute(make_request(plan, items[i], sets, references, serial, threads), r);
        mine.put(static_cast<std::uint64_t>(i));
        encode_group_result(r, mine);
      } catch (...) {
        std::rethrow_exception(annotate(std::current_exception(), what_of(plan, items[i])));
      }
    }
  });
  const auto gathered = comm.gather(mine.bytes());
  if (!comm.is_root()) return;
  for (int rank = 0; rank < comm.size(); ++rank) {
    ByteReader in(gathered[rank], fmt::format("group results of rank {}", rank));
    while (!in.at_end()) {
      const auto i = static_cast<std::size_t>(in.get<std::uint64_t>());
      GENSWEEP_ASSERT(i < results.size(), "rank {} sent item {} of {}", rank, i, results.size());
      results[i] = decode_group_result(in);
    }
  }
}

// The collective items (k-NN passes), one after another with every rank.
void compute_collective_items(const Plan& plan, const std::vector<Item>& items,
                              const std::vector<std::size_t>& collective, FeatureSetCache& sets,
                              ReferenceCaches& references, const dist::Comm& comm, int threads,
                              std::vector<GroupResult>& results) {
  for (auto i : collective) {
    dist::run_phase(
        comm,
        [&] {
          items[i].group->compute(make_request(plan, items[i], sets, references, comm, threads),
                                  results[i]);
        },
        what_of(plan, items[i]));
  }
}

// Entries in task order, each task's metrics in job order.
std::vector<report::MetricEntry> make_entries(const Plan& plan, const std::vector<Item>& items,
                                              const std::vector<GroupResult>& results) {
  std::vector<report::MetricEntry> entries;
  for (std::size_t t = 0; t < plan.reduction.size(); ++t) {
    const ReductionTask& task = plan.reduction[t];
    for (const auto& m : task.metrics) {
      report::MetricEntry e;
      e.reference = task.reference;
      e.evaluated = task.evaluated;
      e.backbone = task.backbone;
      e.metric = m;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].task != t) continue;
        auto it = results[i].values.find(m);
        if (it == results[i].values.end()) continue;
        e.value = it->second.value;
        e.diagnostics = it->second.diagnostics;
      }
      entries.push_back(std::move(e));
    }
  }
  return entries;
}

// Array name -> length, of one item's per-sample arrays (reals, integers): what its row-cache
// entry records.
using ArrayLengths =
    std::pair<std::map<std::string, std::int64_t>, std::map<std::string, std::int64_t>>;

struct PerSampleOutput {
  std::vector<PerSampleArrays> arrays;  // per task
  std::vector<store::Attributes> keys;  // per task: the row-cache key of each of its groups
  std::vector<ArrayLengths> lengths;    // per item
};

// The items' per-sample arrays, by task (copied: results keep theirs).
PerSampleOutput collect_per_sample(const Plan& plan, const std::vector<Item>& items,
                                   const RowLookup& rows, const std::vector<GroupResult>& results) {
  PerSampleOutput out;
  out.arrays.resize(plan.reduction.size());
  out.keys.resize(plan.reduction.size());
  out.lengths.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& task_arrays = out.arrays[items[i].task];
    for (const auto& [name, v] : results[i].per_sample.reals) {
      out.lengths[i].first[name] = static_cast<std::int64_t>(v.size());
      task_arrays.reals[name] = v;
    }
    for (const auto& [name, v] : results[i].per_sample.integers) {
      out.lengths[i].second[name] = static_cast<std::int64_t>(v.size());
      task_arrays.integers[name] = v;
    }
    if (!rows.keys[i].hex.empty())
      out.keys[items[i].task][per_sample_key_attribute(items[i].group->name())] = rows.keys[i].hex;
  }
  return out;
}

// One HDF5 file per task that has per-sample arrays (per_sample_path).
std::vector<report::PerSampleFile> write_per_sample_files(const Plan& plan,
                                                          const PerSampleOutput& per_sample) {
  std::vector<report::PerSampleFile> files;
  for (std::size_t t = 0; t < plan.reduction.size(); ++t) {
    if (per_sample.arrays[t].empty()) continue;
    const ReductionTask& task = plan.reduction[t];
    store::PerSampleData data;
    data.attributes = {{"reference", task.reference},
                       {"evaluated", task.evaluated},
                       {"backbone", task.backbone},
                       {"metrics", fmt::format("{}", fmt::join(task.metrics, " "))}};
    // The row cache reuses a group's arrays only from a file that records its key.
    data.attributes.insert(per_sample.keys[t].begin(), per_sample.keys[t].end());
    data.reals = per_sample.arrays[t].reals;
    data.integers = per_sample.arrays[t].integers;
    report::PerSampleFile file;
    file.reference = task.reference;
    file.evaluated = task.evaluated;
    file.backbone = task.backbone;
    file.path = per_sample_path(plan, task).string();
    for (const auto& [name, v] : data.reals)
      file.datasets.push_back(name);
    for (const auto& [name, v] : data.integers)
      file.datasets.push_back(name);
    std::sort(file.datasets.begin(), file.datasets.end());
    store::write_per_sample_file(file.path, data);
    files.push_back(std::move(file));
  }
  return files;
}

// Adds each computed item to the row cache (after its per-sample file was written).
void store_rows(const std::vector<Item>& items, const RowLookup& rows,
                const std::vector<GroupResult>& results, const std::vector<ArrayLengths>& arrays) {
  const std::string now = utc_now_iso8601();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (rows.reused[i] || rows.keys[i].hex.empty()) continue;
    try {
      CachedItem c;
      c.key = rows.keys[i].hex;
      c.material = rows.keys[i].material;
      c.computed_utc = now;
      c.values = results[i].values;
      c.reals = arrays[i].first;
      c.integers = arrays[i].second;
      std::filesystem::create_directories(rows.paths[i].parent_path());
      report::write_file_atomically(rows.paths[i], encode_cached_item(c));
    } catch (const std::exception& e) {
      log::info("row cache {}: cannot write it ({}); the next run recomputes this item",
                rows.paths[i].string(), e.what());
    }
  }
}

}  // namespace

std::filesystem::path per_sample_path(const Plan& plan, const ReductionTask& task) {
  return plan.output_dir / "per_sample" /
         fmt::format("{}__vs__{}__{}.h5", task.evaluated, task.reference, task.backbone);
}

ReductionOutput run_reduction(const Plan& plan, const dist::Comm& comm,
                              const StoreCatalogue& catalogue) {
  const std::vector<Item> items = make_items(plan);
  const int threads = threads_per_rank(plan.compute, comm.size());
  FeatureSetCache sets(plan, catalogue);
  ReferenceCaches references(plan, catalogue);
  // Bitwise reproducible numbers: see metrics/blas_threads.h. Groups whose results cannot depend
  // on the thread count (exact k-NN decisions) raise it themselves.
  metrics::ScopedBlasThreads one_blas_thread(1);
  std::vector<GroupResult> results(items.size());

  // Row cache: rank 0 decides which items are reused (and holds their results); every rank
  // learns it, so that every rank skips the same collective groups.
  RowLookup rows;
  if (comm.is_root()) rows = look_up_rows(plan, catalogue, items, results);
  std::vector<std::uint8_t> reused = rows.reused;
  comm.broadcast(reused);
  reused.resize(items.size(), 0);
  const auto reused_count = std::count(reused.begin(), reused.end(), std::uint8_t{1});
  if (comm.is_root() && !items.empty()) {
    log::info("row cache {}: {} of {} items reused, {} to compute", result_cache_dir(plan).string(),
              reused_count, items.size(), static_cast<std::int64_t>(items.size()) - reused_count);
  }

  prepare_reference_states(plan, items, reused, sets, references, comm, threads);
  std::vector<std::size_t> solo, collective;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (reused[i]) continue;
    (items[i].group->collective() ? collective : solo).push_back(i);
  }
  compute_solo_items(plan, items, solo, sets, references, comm, threads, results);
  compute_collective_items(plan, items, collective, sets, references, comm, threads, results);

  ReductionOutput out;
  out.cache.directory = (plan.output_dir / "cache").string();
  out.cache.items = static_cast<std::int64_t>(items.size());
  out.cache.reused = reused_count;
  out.cache.computed = out.cache.items - reused_count;
  out.cache.reference_loaded = comm.sum(references.loaded());
  out.cache.reference_computed = comm.sum(references.computed());
  if (!comm.is_root()) return out;
  out.entries = make_entries(plan, items, results);
  const PerSampleOutput per_sample = collect_per_sample(plan, items, rows, results);
  out.per_sample = write_per_sample_files(plan, per_sample);
  BothWaysOutput both_ways = make_both_ways(plan, out.entries, per_sample.arrays);
  out.both_ways = std::move(both_ways.tables);
  out.rarest_overlap = std::move(both_ways.rarest_overlap);
  store_rows(items, rows, results, per_sample.lengths);
  if (!items.empty()) {
    log::info(
        "reduce: {} items: {} reused from the row cache, {} computed; reference structures: {} "
        "loaded from side files, {} computed",
        out.cache.items, out.cache.reused, out.cache.computed, out.cache.reference_loaded,
        out.cache.reference_computed);
  }
  return out;
}

}  // namespace gensweep::pipeline
