#include "gensweep/pipeline/feature_set.h"

#include <algorithm>

#include "gensweep/core/error.h"
#include "gensweep/pipeline/manifold.h"
#include "gensweep/pipeline/store_statistics.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

FeatureSet FeatureSet::from_store(const std::filesystem::path& path) {
  auto st = store::FeatureStore::open_read(path);
  GENSWEEP_CHECK(st.is_complete(), StoreError,
                 "{}: store is incomplete (extraction did not finish; run `gensweep extract`)",
                 path.string());
  auto valid = st.read_valid();
  FeatureSet set;
  set.store_ = path;
  set.dim_ = st.layout().dim;
  set.count_ = std::count(valid.begin(), valid.end(), std::uint8_t{1});
  // The D x D scatter can be large (75 MB at D = 3072): read it only when a metric needs it.
  set.stats_loader_ = [path, dim = set.dim_] {
    auto stored = store::FeatureStore::open_read(path).read_statistics();
    GENSWEEP_CHECK(
        stored.has_value(), StoreError,
        "{}: store has no statistics (extraction did not finish; run `gensweep extract`)",
        path.string());
    return to_gaussian_stats(*stored, dim);
  };
  set.loader_ = [path] { return read_valid_features(store::FeatureStore::open_read(path)); };
  return set;
}

FeatureSet FeatureSet::from_matrix(FeatureMatrix matrix) {
  FeatureSet set;
  set.dim_ = matrix.cols;
  set.count_ = matrix.rows;
  set.stats_ = std::make_shared<metrics::GaussianStats>(metrics::compute_stats(matrix.view()));
  set.features_ = std::make_shared<FeatureMatrix>(std::move(matrix));
  return set;
}

const metrics::GaussianStats& FeatureSet::stats() const {
  if (!stats_) stats_ = std::make_shared<metrics::GaussianStats>(stats_loader_());
  return *stats_;
}

const FeatureMatrix& FeatureSet::features() const {
  if (!features_) features_ = std::make_shared<FeatureMatrix>(loader_());
  return *features_;
}

}  // namespace gensweep::pipeline

namespace gensweep::pipeline {

std::unique_ptr<metrics::RowSource> FeatureSet::row_source() const {
  if (!store_.empty() && !features_) return open_store_rows(store_);
  return std::make_unique<metrics::MatrixRowSource>(features().view());
}

}  // namespace gensweep::pipeline
