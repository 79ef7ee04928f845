#include "gensweep/pipeline/reduce.h"

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/reference_cache.h"
#include "gensweep/pipeline/result_cache.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/per_sample_file.h"
#include "metric_groups.h"

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

// Per-rank cache: a reference set is typically compared with many evaluated sets.
class FeatureSetCache {
 public:
  explicit FeatureSetCache(const Plan& plan) : plan_(plan) {}
  const FeatureSet& get(const std::string& dataset, const std::string& backbone) {
    auto key = dataset + "\n" + backbone;
    auto it = sets_.find(key);
    if (it != sets_.end()) return it->second;
    const DatasetPlan& d = plan_.dataset(dataset);
    FeatureSet set = d.has_images() ? FeatureSet::from_store(plan_.store_path(dataset, backbone))
                                    : load_features_dataset(d.features_spec);
    return sets_.emplace(key, std::move(set)).first->second;
  }

 private:
  const Plan& plan_;
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
      const MetricGroup& group = find_group(find_metric(m).group);
      auto [it, inserted] = slot.emplace(group.name, items.size());
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
                       references.get(task.reference, task.backbone)};
  return request;
}

nlohmann::json to_json(const GroupResult& r) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [m, v] : r.values)
    values[m] = {{"value", v.value}, {"diagnostics", v.diagnostics}};
  return {{"values", values}, {"reals", r.per_sample.reals}, {"integers", r.per_sample.integers}};
}

GroupResult from_json(const nlohmann::json& j) {
  GroupResult r;
  for (const auto& [m, v] : j.at("values").items()) {
    // JSON cannot hold NaN; a null value travels back as NaN.
    r.values[m].value = v.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN()
                                                : v.at("value").get<double>();
    r.values[m].diagnostics = v.at("diagnostics");
  }
  for (const auto& [name, values] : j.at("reals").items()) {
    auto& out = r.per_sample.reals[name];
    for (const auto& x : values)
      out.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
  }
  for (const auto& [name, values] : j.at("integers").items())
    r.per_sample.integers[name] = values.get<std::vector<std::int64_t>>();
  return r;
}

std::string what_of(const Plan& plan, const Item& item) {
  const ReductionTask& t = plan.reduction[item.task];
  return fmt::format("{} of {} vs {} in {}: ", fmt::join(item.metrics, "/"), t.evaluated,
                     t.reference, t.backbone);
}

std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GENSWEEP_CHECK(in.good(), IoError, "cannot read '{}'", path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
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
  std::map<std::size_t, std::optional<store::PerSampleData>> per_sample;  // by task
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const ReductionTask& task = plan.reduction[item.task];
    const auto* reference = identity(task.reference, task.backbone);
    const auto* evaluated = identity(task.evaluated, task.backbone);
    if (reference == nullptr || evaluated == nullptr) continue;
    const auto parameters = item_parameters(plan, item);
    out.keys[i] = make_item_key(item.group->name, item.metrics, parameters, *reference, *evaluated);
    out.paths[i] = result_cache_path(plan, task, item.group->name, item.metrics, parameters);
    const auto& path = out.paths[i];
    if (!std::filesystem::exists(path)) continue;
    try {
      CachedItem cached = decode_cached_item(read_file_text(path));
      if (cached.key != out.keys[i].hex) {
        log::info("row cache {}: made for other inputs ({}); recomputing", path.string(),
                  describe_key_change(cached.material, out.keys[i].material));
        continue;
      }
      const std::set<std::string> members(item.metrics.begin(), item.metrics.end());
      std::set<std::string> have;
      for (const auto& [m, v] : cached.values)
        have.insert(m);
      GENSWEEP_CHECK(have == members, IoError, "it holds {} instead of {}", fmt::join(have, "/"),
                     fmt::join(members, "/"));
      GroupResult r;
      if (!cached.reals.empty() || !cached.integers.empty()) {
        // The arrays live in the comparison's per-sample file, written with this key.
        const auto file = per_sample_path(plan, task);
        auto [ps, first] = per_sample.try_emplace(item.task);
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
        auto key = data.attributes.find(per_sample_key_attribute(item.group->name));
        GENSWEEP_CHECK(key != data.attributes.end() && key->second == cached.key, IoError,
                       "the per-sample file {} was written for other inputs", file.string());
        for (const auto& [name, length] : cached.reals) {
          auto a = data.reals.find(name);
          GENSWEEP_CHECK(
              a != data.reals.end() && static_cast<std::int64_t>(a->second.size()) == length,
              IoError, "the per-sample file {} lacks {} [{}]", file.string(), name, length);
          r.per_sample.reals[name] = a->second;
        }
        for (const auto& [name, length] : cached.integers) {
          auto a = data.integers.find(name);
          GENSWEEP_CHECK(
              a != data.integers.end() && static_cast<std::int64_t>(a->second.size()) == length,
              IoError, "the per-sample file {} lacks {} [{}]", file.string(), name, length);
          r.per_sample.integers[name] = a->second;
        }
      }
      for (auto& [m, v] : cached.values) {
        // Reused: the diagnostics (timings included) are those of the original computation.
        v.diagnostics["cached"] = true;
        v.diagnostics["cached_utc"] = cached.computed_utc;
        r.values[m] = std::move(v);
      }
      results[i] = std::move(r);
      out.reused[i] = 1;
    } catch (const std::exception& e) {
      log::info("row cache {}: not reused ({}); recomputing", path.string(), e.what());
    }
  }
  return out;
}

// Each GMM reference fit that the items to compute need is made once, before the items are dealt:
// references are dealt round-robin, so one rank fits (or loads) every fit of a reference and is
// the only writer of its side file; the items then find the fit in the side file. Best effort: a
// fit that fails here is left to its items, whose errors name them.
void prefit_gmm_references(const Plan& plan, const std::vector<Item>& items,
                           const std::vector<std::uint8_t>& reused, FeatureSetCache& sets,
                           ReferenceCaches& references, const dist::Comm& comm, int threads) {
  // (reference, backbone) -> fit parameters (canonical text) -> the parameters
  std::map<std::pair<std::string, std::string>, std::map<std::string, MetricParameters>> needed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (reused[i] || std::string_view(items[i].group->name) != "gmm") continue;
    const ReductionTask& task = plan.reduction[items[i].task];
    MetricParameters p(items[i].metrics.front(), task.parameters);
    needed[{task.reference, task.backbone}].emplace(gmm_fit_parameters(p).dump(), p);
  }
  if (needed.empty()) return;
  std::size_t index = 0;
  for (const auto& [reference, fits] : needed) {
    if (static_cast<int>(index++ % static_cast<std::size_t>(comm.size())) != comm.rank()) continue;
    for (const auto& [text, p] : fits) {
      try {
        gmm_reference_fit(sets.get(reference.first, reference.second), p, threads,
                          references.get(reference.first, reference.second));
      } catch (const std::exception& e) {
        log::debug("reference fit of {} in {} left to its items: {}", reference.first,
                   reference.second, e.what());
      }
    }
  }
  comm.barrier();  // the side files are written before any rank looks for them
}

// Adds each computed item to the row cache (after its per-sample file was written).
void store_rows(const std::vector<Item>& items, const RowLookup& rows,
                const std::vector<GroupResult>& results,
                const std::vector<std::pair<std::map<std::string, std::int64_t>,
                                            std::map<std::string, std::int64_t>>>& arrays) {
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
  FeatureSetCache cache(plan);
  ReferenceCaches references(plan, catalogue);
  // Bitwise reproducible numbers: see metrics/blas_threads.h. Groups whose results cannot depend
  // on the thread count (exact k-NN decisions) raise it themselves.
  metrics::ScopedBlasThreads one_blas_thread(1);
  dist::Comm serial;
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

  prefit_gmm_references(plan, items, reused, cache, references, comm, threads);

  // Groups one rank computes alone, dealt round-robin; then the collective ones, in order.
  std::vector<std::size_t> solo, collective;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (reused[i]) continue;
    (items[i].group->collective ? collective : solo).push_back(i);
  }
  nlohmann::json computed = nlohmann::json::array();
  std::exception_ptr error;
  try {
    for (auto k : dist::round_robin_share(static_cast<std::int64_t>(solo.size()), comm.rank(),
                                          comm.size())) {
      const std::size_t i = solo[k];
      try {
        GroupResult r;
        items[i].group->compute(make_request(plan, items[i], cache, references, serial, threads),
                                r);
        computed.push_back({{"index", i}, {"result", to_json(r)}});
      } catch (...) {
        std::rethrow_exception(annotate(std::current_exception(), what_of(plan, items[i])));
      }
    }
  } catch (...) {
    error = std::current_exception();
  }
  // Doubles travel as JSON text in their shortest round-trip form: exact.
  const std::string mine = computed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  comm.agree(error);
  auto gathered = comm.gather({reinterpret_cast<const std::uint8_t*>(mine.data()), mine.size()});
  if (comm.is_root()) {
    for (const auto& bytes : gathered) {
      for (const auto& j : nlohmann::json::parse(bytes.begin(), bytes.end()))
        results[j.at("index").get<std::size_t>()] = from_json(j.at("result"));
    }
  }
  for (auto i : collective) {
    try {
      items[i].group->compute(make_request(plan, items[i], cache, references, comm, threads),
                              results[i]);
    } catch (...) {
      error = annotate(std::current_exception(), what_of(plan, items[i]));
    }
    comm.agree(error);
  }

  ReductionOutput out;
  out.cache.directory = (plan.output_dir / "cache").string();
  out.cache.items = static_cast<std::int64_t>(items.size());
  out.cache.reused = reused_count;
  out.cache.computed = out.cache.items - reused_count;
  out.cache.reference_loaded = comm.sum(references.loaded());
  out.cache.reference_computed = comm.sum(references.computed());
  if (!comm.is_root()) return out;
  // Entries in task order, each task's metrics in job order; per-sample arrays per task.
  std::vector<PerSampleArrays> per_task(plan.reduction.size());
  std::vector<std::pair<std::map<std::string, std::int64_t>, std::map<std::string, std::int64_t>>>
      arrays(items.size());  // per item: per-sample array lengths, for the row cache
  std::vector<store::Attributes> keys_of_task(plan.reduction.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& task_arrays = per_task[items[i].task];
    for (auto& [name, v] : results[i].per_sample.reals) {
      arrays[i].first[name] = static_cast<std::int64_t>(v.size());
      task_arrays.reals[name] = std::move(v);
    }
    for (auto& [name, v] : results[i].per_sample.integers) {
      arrays[i].second[name] = static_cast<std::int64_t>(v.size());
      task_arrays.integers[name] = std::move(v);
    }
    if (!rows.keys[i].hex.empty())
      keys_of_task[items[i].task][per_sample_key_attribute(items[i].group->name)] =
          rows.keys[i].hex;
  }
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
      out.entries.push_back(std::move(e));
    }
    if (per_task[t].empty()) continue;
    store::PerSampleData data;
    data.attributes = {{"reference", task.reference},
                       {"evaluated", task.evaluated},
                       {"backbone", task.backbone},
                       {"metrics", fmt::format("{}", fmt::join(task.metrics, " "))}};
    // The row cache reuses a group's arrays only from a file that records its key.
    data.attributes.insert(keys_of_task[t].begin(), keys_of_task[t].end());
    data.reals = std::move(per_task[t].reals);
    data.integers = std::move(per_task[t].integers);
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
    out.per_sample.push_back(std::move(file));
  }
  store_rows(items, rows, results, arrays);
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
