#include "gensweep/pipeline/feature_set.h"

#include "gensweep/core/error.h"
#include "gensweep/pipeline/store_statistics.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

FeatureSet FeatureSet::from_store(const std::filesystem::path& path) {
  auto st = store::FeatureStore::open_read(path);
  auto stored = st.read_statistics();
  GENSWEEP_CHECK(stored.has_value(), StoreError,
                 "{}: store has no statistics (extraction did not finish; run `gensweep extract`)",
                 path.string());
  FeatureSet set;
  set.dim_ = st.layout().dim;
  set.stats_ = to_gaussian_stats(*stored, set.dim_);
  set.loader_ = [path] { return read_valid_features(store::FeatureStore::open_read(path)); };
  return set;
}

FeatureSet FeatureSet::from_matrix(FeatureMatrix matrix) {
  FeatureSet set;
  set.dim_ = matrix.cols;
  set.stats_ = metrics::compute_stats(matrix.view());
  set.features_ = std::make_shared<FeatureMatrix>(std::move(matrix));
  return set;
}

const FeatureMatrix& FeatureSet::features() const {
  if (!features_) features_ = std::make_shared<FeatureMatrix>(loader_());
  return *features_;
}

}  // namespace gensweep::pipeline
