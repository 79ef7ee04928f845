#include "gensweep/pipeline/feature_set.h"

#include <algorithm>
#include <cstring>

#include "gensweep/core/error.h"
#include "gensweep/features/statistics_file.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/pipeline/store_rows.h"
#include "gensweep/pipeline/store_statistics.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

namespace {

// A RowSource that borrows the set's open store (the set outlives it).
class BorrowedRows final : public metrics::RowSource {
 public:
  explicit BorrowedRows(std::shared_ptr<const metrics::RowSource> rows) : rows_(std::move(rows)) {}
  std::int64_t rows() const override { return rows_->rows(); }
  std::int64_t dim() const override { return rows_->dim(); }
  void read(std::int64_t begin, std::int64_t count, float* out) const override {
    rows_->read(begin, count, out);
  }

 private:
  std::shared_ptr<const metrics::RowSource> rows_;
};

}  // namespace

FeatureSet FeatureSet::from_store(const StoreState& state) {
  GENSWEEP_ASSERT(state.kind == StoreState::Kind::kComplete, "{}: the store is {}",
                  state.path.string(), state_name(state.kind));
  FeatureSet set;
  set.store_ = std::make_shared<const StoreRows>(state.path);
  set.dim_ = set.store_->dim();
  set.count_ = set.store_->rows();
  GENSWEEP_CHECK(set.count_ == state.valid, StoreError,
                 "{}: {} valid rows, but {} when the job started (the store changed under it)",
                 state.path.string(), set.count_, state.valid);
  return set;
}

FeatureSet FeatureSet::from_store(const std::filesystem::path& path) {
  FeatureSet set;
  set.store_ = std::make_shared<const StoreRows>(path);  // the one open of the file
  GENSWEEP_CHECK(set.store_->store().is_complete(), StoreError,
                 "{}: store is incomplete (extraction did not finish; run `gensweep extract`)",
                 path.string());
  set.dim_ = set.store_->dim();
  set.count_ = set.store_->rows();
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

FeatureSet FeatureSet::from_statistics(metrics::GaussianStats stats, std::string origin) {
  GENSWEEP_ASSERT(stats.imported && !origin.empty(), "imported statistics need an origin");
  FeatureSet set;
  set.dim_ = stats.dim();
  set.count_ = stats.count;
  set.stats_ = std::make_shared<metrics::GaussianStats>(std::move(stats));
  set.origin_ = std::move(origin);
  return set;
}

FeatureSet FeatureSet::from_statistics_file(const std::filesystem::path& file,
                                            const std::string& entry) {
  features::ImportedStatistics imported = features::read_statistics_file(file, entry);
  metrics::GaussianStats stats;
  stats.imported = true;
  stats.count = imported.count.value_or(0);
  stats.mean = Eigen::Map<const Eigen::VectorXd>(imported.mean.data(), imported.dim);
  stats.scatter =
      Eigen::Map<const Eigen::MatrixXd>(imported.covariance.data(), imported.dim, imported.dim);
  std::string origin = fmt::format(
      "{} in {}, mean {}, covariance {}, {}", imported.format, file.string(), imported.mean_dtype,
      imported.covariance_dtype,
      imported.count ? fmt::format("N = {}", *imported.count) : std::string("N unknown"));
  if (imported.max_asymmetry > 0)
    origin += fmt::format(", symmetrised (largest asymmetry {:.3g})", imported.max_asymmetry);
  return from_statistics(std::move(stats), std::move(origin));
}

const metrics::GaussianStats& FeatureSet::stats() const {
  if (!stats_) {
    // The D x D scatter can be large (75 MB at D = 3072): read only when a metric needs it.
    auto stored = store_->store().read_statistics();
    GENSWEEP_CHECK(
        stored.has_value(), StoreError,
        "{}: store has no statistics (extraction did not finish; run `gensweep extract`)",
        store_->path().string());
    stats_ = std::make_shared<metrics::GaussianStats>(to_gaussian_stats(*stored, dim_));
  }
  return *stats_;
}

const FeatureMatrix& FeatureSet::features() const {
  GENSWEEP_CHECK(!statistics_only(), DataError,
                 "imported statistics ({}) have no features: only metrics of the mean and "
                 "covariance (fd) can use them",
                 origin_);
  if (!features_) {
    auto matrix = std::make_shared<FeatureMatrix>(count_, dim_);
    if (count_ > 0) store_->read(0, count_, matrix->values.data());
    features_ = std::move(matrix);
  }
  return *features_;
}

std::unique_ptr<metrics::RowSource> FeatureSet::row_source() const {
  GENSWEEP_CHECK(!statistics_only(), DataError,
                 "imported statistics ({}) have no feature rows: only metrics of the mean and "
                 "covariance (fd) can use them",
                 origin_);
  if (store_ && !features_) return std::make_unique<BorrowedRows>(store_);
  return std::make_unique<metrics::MatrixRowSource>(features().view());
}

}  // namespace gensweep::pipeline
