#include "gensweep/pipeline/reduce.h"

#include <map>

#include "gensweep/core/error.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/feature_store.h"

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

}  // namespace

std::vector<report::MetricEntry> run_reduction(const Plan& plan, const dist::Comm& comm) {
  // Flatten tasks x metrics so each (comparison, backbone, metric) is one unit of work.
  struct Item {
    const ReductionTask* task;
    std::string metric;
  };
  std::vector<Item> items;
  for (const auto& t : plan.reduction) {
    for (const auto& m : t.metrics)
      items.push_back({&t, m});
  }
  FeatureSetCache cache(plan);
  // Bitwise reproducible numbers: see metrics/blas_threads.h.
  metrics::ScopedBlasThreads one_blas_thread(1);
  nlohmann::json computed = nlohmann::json::array();
  std::exception_ptr error;
  try {
    for (auto i : dist::round_robin_share(static_cast<std::int64_t>(items.size()), comm.rank(),
                                          comm.size())) {
      const Item& item = items[i];
      report::MetricEntry entry;
      entry.reference = item.task->reference;
      entry.evaluated = item.task->evaluated;
      entry.backbone = item.task->backbone;
      entry.metric = item.metric;
      MetricContext ctx{cache.get(entry.reference, entry.backbone),
                        cache.get(entry.evaluated, entry.backbone)};
      find_metric(item.metric).compute(ctx, entry);
      computed.push_back(
          {{"index", i}, {"value", entry.value}, {"diagnostics", entry.diagnostics}});
    }
  } catch (...) {
    error = std::current_exception();
  }
  // Doubles travel as JSON text in their shortest round-trip form: exact.
  const std::string mine = computed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  comm.agree(error);
  auto gathered = comm.gather({reinterpret_cast<const std::uint8_t*>(mine.data()), mine.size()});
  std::vector<report::MetricEntry> entries(items.size());
  if (comm.is_root()) {
    for (std::size_t k = 0; k < items.size(); ++k) {
      entries[k].reference = items[k].task->reference;
      entries[k].evaluated = items[k].task->evaluated;
      entries[k].backbone = items[k].task->backbone;
      entries[k].metric = items[k].metric;
    }
    for (const auto& bytes : gathered) {
      auto list = nlohmann::json::parse(bytes.begin(), bytes.end());
      for (const auto& j : list) {
        auto& e = entries[j.at("index").get<std::size_t>()];
        // JSON cannot hold NaN; a null value travels back as NaN.
        e.value = j.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN()
                                          : j.at("value").get<double>();
        e.diagnostics = j.at("diagnostics");
      }
    }
  }
  return entries;
}

}  // namespace gensweep::pipeline
