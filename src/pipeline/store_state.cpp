#include "gensweep/pipeline/store_state.h"

#include <algorithm>

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

const char* state_name(StoreState::Kind kind) {
  switch (kind) {
    case StoreState::Kind::kMissing:
      return "missing";
    case StoreState::Kind::kPartial:
      return "partial";
    case StoreState::Kind::kComplete:
      return "complete";
    case StoreState::Kind::kStale:
      return "stale";
  }
  return "?";
}

std::vector<StoreState> inspect_stores(const Plan& plan) {
  std::vector<StoreState> states;
  for (const auto& task : plan.extraction) {
    const DatasetPlan& dataset = plan.dataset(task.dataset);
    const std::int64_t images = dataset.has_images() ? dataset.images->size() : 0;
    for (const auto& backbone : task.backbones) {
      StoreState s;
      s.dataset = task.dataset;
      s.backbone = backbone;
      s.path = plan.store_path(task.dataset, backbone);
      s.units = (images + plan.compute.unit_size - 1) / plan.compute.unit_size;
      std::error_code ec;
      if (!std::filesystem::exists(s.path, ec)) {
        states.push_back(std::move(s));
        continue;
      }
      try {
        // A reader never blocks on the writer lock: a store being extracted reads as partial.
        const auto st = store::FeatureStore::open_read(s.path);
        const auto& layout = st.layout();
        const auto progress = st.progress();
        s.units_done = std::count(progress.begin(), progress.end(), std::uint8_t{1});
        if (layout.rows != images) {
          s.kind = StoreState::Kind::kStale;
          s.problem =
              fmt::format("it holds {} rows but the dataset has {} images", layout.rows, images);
        } else if (layout.unit_size != plan.compute.unit_size && !st.is_complete()) {
          s.kind = StoreState::Kind::kStale;
          s.problem = fmt::format("its units hold {} images, the job's compute.unit_size is {}",
                                  layout.unit_size, plan.compute.unit_size);
        } else {
          s.units = st.num_units();
          s.kind = st.is_complete() && st.has_statistics() ? StoreState::Kind::kComplete
                                                           : StoreState::Kind::kPartial;
        }
      } catch (const StoreError& e) {
        // A writer excludes readers (HDF5's file lock): the store is being extracted right now.
        const std::string what = e.what();
        if (what.find("open in another process") != std::string::npos) {
          s.kind = StoreState::Kind::kPartial;
          s.problem = "being written by another process now";
        } else {
          s.kind = StoreState::Kind::kStale;
          s.problem = what;
        }
      }
      states.push_back(std::move(s));
    }
  }
  return states;
}

}  // namespace gensweep::pipeline
