// compute_manifold over ranks (run serially and under mpiexec at 1, 2 and 4 ranks): every value
// is bit for bit the one the serial twin computes alone, including when a rank has no evaluated
// samples, and streaming the valid rows of a feature store gives the same as the rows in memory.
#include "gensweep/pipeline/manifold.h"

#include <gtest/gtest.h>

#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/dist/comm.h"
#include "gensweep/store/feature_store.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

dist::Environment* g_env = nullptr;

FeatureMatrix gaussian(std::int64_t rows, std::int64_t dim, std::uint64_t seed, double shift) {
  Rng rng(seed);
  FeatureMatrix m(rows, dim);
  for (auto& v : m.values)
    v = static_cast<float>(shift + rng.normal());
  // A few exact duplicates (radius-0 balls, ties).
  for (std::int64_t i = 1; i < std::min<std::int64_t>(rows, 4); ++i)
    std::copy(m.row(0), m.row(0) + dim, m.row(i));
  return m;
}

void expect_same(const ManifoldResult& a, const ManifoldResult& b) {
  EXPECT_EQ(a.precision, b.precision);
  EXPECT_EQ(a.recall, b.recall);
  EXPECT_EQ(a.density, b.density);
  EXPECT_EQ(a.coverage, b.coverage);
  EXPECT_EQ(a.rarity_mean, b.rarity_mean);
  EXPECT_EQ(a.rarity_discarded, b.rarity_discarded);
  EXPECT_EQ(a.rarity_quantiles, b.rarity_quantiles);
  EXPECT_EQ(a.rarity_histogram_counts, b.rarity_histogram_counts);
  EXPECT_EQ(a.giqa_knn_mean, b.giqa_knn_mean);
  EXPECT_EQ(a.rarity, b.rarity);
  EXPECT_EQ(a.realism, b.realism);
  EXPECT_EQ(a.giqa_knn, b.giqa_knn);
  EXPECT_EQ(a.nn_index, b.nn_index);
  EXPECT_EQ(a.nn_distance, b.nn_distance);
  EXPECT_EQ(a.radius_precision_recall, b.radius_precision_recall);
  EXPECT_EQ(a.radius_density_coverage, b.radius_density_coverage);
  EXPECT_EQ(a.radius_rarity, b.radius_rarity);
}

TEST(ManifoldMpi, IdenticalToSerialWithAnEmptyRank) {
  const dist::Comm& comm = g_env->world();
  const auto real = gaussian(157, 12, 1, 0.0), fake = gaussian(43, 12, 2, 0.4);
  metrics::MatrixRowSource r(real.view()), f(fake.view());
  ManifoldOptions o;
  o.tile_rows = 16;  // 3 evaluated chunks: with 4 ranks, rank 3 has no evaluated sample
  o.threads = 1;
  const auto distributed = compute_manifold(r, f, o, comm);
  dist::Comm serial;
  ManifoldOptions big = o;
  big.tile_rows = 0;
  const auto alone = compute_manifold(r, f, big, serial);
  ASSERT_EQ(distributed.rarity.size(), 43u);
  expect_same(distributed, alone);
  EXPECT_GT(alone.precision, 0.0);
  EXPECT_GT(alone.rarity_in_manifold, 0);
}

TEST(ManifoldMpi, StoreRowsMatchMemoryRows) {
  const dist::Comm& comm = g_env->world();
  const std::int64_t rows = 90, dim = 8;
  const auto all = gaussian(rows, dim, 3, 0.0);
  std::vector<std::uint8_t> valid(rows, 1);
  for (std::int64_t i : {0, 5, 33, 34, 89})
    valid[i] = 0;
  std::unique_ptr<testing::TempDir> dir;
  std::string path;
  if (comm.is_root()) {
    dir = std::make_unique<testing::TempDir>("gensweep-manifold-mpi");
    path = (dir->path() / "real.h5").string();
    store::StoreLayout layout;
    layout.rows = rows;
    layout.dim = dim;
    layout.unit_size = 32;
    std::vector<std::string> ids;
    for (std::int64_t i = 0; i < rows; ++i)
      ids.push_back("img" + std::to_string(i));
    auto st = store::FeatureStore::create(path, layout, ids,
                                          {{"backbone", "test"},
                                           {"backbone_identity", "t"},
                                           {"preprocessing", "none"},
                                           {"dataset_fingerprint", "sha256:00"},
                                           {"tool_version", "0.1.0"},
                                           {"git_commit", "0"},
                                           {"config_hash", "0"},
                                           {"created_utc", "2026-01-01T00:00:00Z"}});
    for (std::int64_t u = 0; u < st.num_units(); ++u) {
      const std::int64_t b = st.unit_begin(u), e = st.unit_end(u);
      std::vector<store::Failure> failures;
      for (std::int64_t i = b; i < e; ++i)
        if (!valid[i]) failures.push_back({i, "broken"});
      st.write_unit(u, FeatureView{all.row(b), e - b, dim},
                    std::span<const std::uint8_t>(valid.data() + b, e - b), failures);
    }
  }
  comm.broadcast(path);
  FeatureMatrix kept(rows - 5, dim);
  for (std::int64_t i = 0, k = 0; i < rows; ++i)
    if (valid[i]) std::copy(all.row(i), all.row(i) + dim, kept.row(k++));
  const auto fake = gaussian(30, dim, 4, 0.2);
  metrics::MatrixRowSource memory(kept.view()), f(fake.view());
  const auto stored = open_store_rows(path);
  ASSERT_EQ(stored->rows(), rows - 5);
  ManifoldOptions o;
  o.tile_rows = 7;
  o.threads = 1;
  const auto from_store = compute_manifold(*stored, f, o, comm);
  const auto from_memory = compute_manifold(memory, f, o, comm);
  expect_same(from_store, from_memory);
  comm.barrier();  // the store is removed (rank 0's TempDir) only after every rank read it
}

TEST(ManifoldMpi, ErrorsReachEveryRank) {
  const dist::Comm& comm = g_env->world();
  auto fake = gaussian(40, 6, 5, 0.0);
  fake.values[37 * 6 + 2] = std::numeric_limits<float>::infinity();
  const auto real = gaussian(40, 6, 6, 0.0);
  metrics::MatrixRowSource r(real.view()), f(fake.view());
  ManifoldOptions o;
  o.tile_rows = 8;
  // Without recall only the owner of rows 32..39 reads row 37; every rank must still throw.
  o.want_precision_recall = false;
  EXPECT_THROW(compute_manifold(r, f, o, comm), Error);
}

}  // namespace
}  // namespace gensweep::pipeline

int main(int argc, char** argv) {
  gensweep::dist::Environment env(&argc, &argv);
  gensweep::pipeline::g_env = &env;
  ::testing::InitGoogleTest(&argc, argv);
  if (env.world().rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  std::int64_t total_failed = env.world().sum(failed);
  return total_failed != 0 ? 1 : 0;
}
