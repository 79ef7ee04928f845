#include "gensweep/pipeline/reduce.h"

#include <map>
#include <thread>

#include "gensweep/core/error.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/per_sample_file.h"

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

int threads_per_rank(const Plan& plan, const dist::Comm& comm) {
  if (plan.compute.threads > 0) return plan.compute.threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / comm.size());
}

GroupRequest make_request(const Plan& plan, const Item& item, FeatureSetCache& cache,
                          const dist::Comm& comm, int threads) {
  const ReductionTask& task = plan.reduction[item.task];
  GroupRequest request{cache.get(task.reference, task.backbone),
                       cache.get(task.evaluated, task.backbone),
                       item.metrics,
                       {},
                       comm,
                       threads};
  for (const auto& m : item.metrics)
    request.parameters.emplace(m, MetricParameters(m, task.parameters));
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

}  // namespace

std::filesystem::path per_sample_path(const Plan& plan, const ReductionTask& task) {
  return plan.output_dir / "per_sample" /
         fmt::format("{}__vs__{}__{}.h5", task.evaluated, task.reference, task.backbone);
}

ReductionOutput run_reduction(const Plan& plan, const dist::Comm& comm) {
  const std::vector<Item> items = make_items(plan);
  const int threads = threads_per_rank(plan, comm);
  FeatureSetCache cache(plan);
  // Bitwise reproducible numbers: see metrics/blas_threads.h. Groups whose results cannot depend
  // on the thread count (exact k-NN decisions) raise it themselves.
  metrics::ScopedBlasThreads one_blas_thread(1);
  dist::Comm serial;
  std::vector<GroupResult> results(items.size());

  // Groups one rank computes alone, dealt round-robin; then the collective ones, in order.
  std::vector<std::size_t> solo, collective;
  for (std::size_t i = 0; i < items.size(); ++i)
    (items[i].group->collective ? collective : solo).push_back(i);
  nlohmann::json computed = nlohmann::json::array();
  std::exception_ptr error;
  try {
    for (auto k : dist::round_robin_share(static_cast<std::int64_t>(solo.size()), comm.rank(),
                                          comm.size())) {
      const std::size_t i = solo[k];
      try {
        GroupResult r;
        items[i].group->compute(make_request(plan, items[i], cache, serial, threads), r);
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
      items[i].group->compute(make_request(plan, items[i], cache, comm, threads), results[i]);
    } catch (...) {
      error = annotate(std::current_exception(), what_of(plan, items[i]));
    }
    comm.agree(error);
  }

  ReductionOutput out;
  if (!comm.is_root()) return out;
  // Entries in task order, each task's metrics in job order; per-sample arrays per task.
  std::vector<PerSampleArrays> per_task(plan.reduction.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& arrays = per_task[items[i].task];
    for (auto& [name, v] : results[i].per_sample.reals)
      arrays.reals[name] = std::move(v);
    for (auto& [name, v] : results[i].per_sample.integers)
      arrays.integers[name] = std::move(v);
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
  return out;
}

}  // namespace gensweep::pipeline
