// The reference-structure cache (run serially and under mpiexec at 1 and 2 ranks): k-NN radii
// read back from a side file are the computed ones bit for bit (and match a brute-force
// computation), compute_manifold with them skips its reference pass and gives the same results bit
// for bit; a side file made for other inputs, damaged or foreign is ignored and replaced; the GMM
// group gives metrics::giqa_gmm's numbers bit for bit whether its reference fit is computed, kept
// in a side file or read back from one; reference statistics are the store's, and the identity
// that keys the caches follows the store's provenance and statistics.
#include "gensweep/pipeline/reference_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/core/sha256.h"
#include "gensweep/dist/comm.h"
#include "gensweep/metrics/gmm.h"
#include "gensweep/pipeline/feature_set.h"
#include "gensweep/pipeline/manifold.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/side_file.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

dist::Environment* g_env = nullptr;

FeatureMatrix gaussian(std::int64_t rows, std::int64_t dim, std::uint64_t seed, double shift) {
  Rng rng(seed);
  FeatureMatrix m(rows, dim);
  for (auto& v : m.values)
    v = static_cast<float>(shift + rng.normal());
  // Exact duplicates: radius-0 balls and distance ties.
  for (std::int64_t i = 1; i < std::min<std::int64_t>(rows, 4); ++i)
    std::copy(m.row(0), m.row(0) + dim, m.row(i));
  return m;
}

::testing::AssertionResult same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i]))
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_bits(double a, double b) {
  return same_bits(std::vector<double>{a}, std::vector<double>{b});
}

void expect_same(const ManifoldResult& a, const ManifoldResult& b) {
  EXPECT_TRUE(same_bits(a.precision, b.precision));
  EXPECT_TRUE(same_bits(a.recall, b.recall));
  EXPECT_TRUE(same_bits(a.density, b.density));
  EXPECT_TRUE(same_bits(a.coverage, b.coverage));
  EXPECT_TRUE(same_bits(a.rarity_mean, b.rarity_mean));
  EXPECT_EQ(a.rarity_discarded, b.rarity_discarded);
  EXPECT_TRUE(same_bits(a.rarity_quantiles, b.rarity_quantiles));
  EXPECT_EQ(a.rarity_histogram_counts, b.rarity_histogram_counts);
  EXPECT_TRUE(same_bits(a.giqa_knn_mean, b.giqa_knn_mean));
  EXPECT_TRUE(same_bits(a.rarity, b.rarity));
  EXPECT_TRUE(same_bits(a.realism, b.realism));
  EXPECT_TRUE(same_bits(a.giqa_knn, b.giqa_knn));
  EXPECT_EQ(a.nn_index, b.nn_index);
  EXPECT_TRUE(same_bits(a.nn_distance, b.nn_distance));
  EXPECT_TRUE(same_bits(a.radius_precision_recall, b.radius_precision_recall));
  EXPECT_TRUE(same_bits(a.radius_density_coverage, b.radius_density_coverage));
  EXPECT_TRUE(same_bits(a.radius_rarity, b.radius_rarity));
}

// Independent path: every pairwise distance in float64, sorted; the k-th nearest other row is
// index k of the sorted distances (self at 0).
std::vector<double> brute_force_radii(const FeatureMatrix& x, int k) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < x.rows; ++i) {
    std::vector<double> d;
    for (std::int64_t j = 0; j < x.rows; ++j) {
      double s = 0;
      for (std::int64_t c = 0; c < x.cols; ++c) {
        const double t = static_cast<double>(x.row(i)[c]) - static_cast<double>(x.row(j)[c]);
        s += t * t;
      }
      d.push_back(std::sqrt(s));
    }
    std::sort(d.begin(), d.end());
    out.push_back(d[static_cast<std::size_t>(k)]);
  }
  return out;
}

// A directory every rank sees (rank 0 owns it).
class SharedDir {
 public:
  explicit SharedDir(const dist::Comm& comm) : comm_(comm) {
    std::string path;
    if (comm.is_root()) {
      dir_ = std::make_unique<testing::TempDir>("gensweep-refcache");
      path = dir_->path().string();
    }
    comm.broadcast(path);
    path_ = path;
  }
  ~SharedDir() { comm_.barrier(); }  // removed only after every rank is done with it
  const std::filesystem::path& path() const { return path_; }

 private:
  const dist::Comm& comm_;
  std::unique_ptr<testing::TempDir> dir_;
  std::filesystem::path path_;
};

store::Attributes identity(const std::string& fingerprint) {
  return {{"dataset_fingerprint", fingerprint},
          {"backbone_identity", "test"},
          {"rows", "97"},
          {"created_utc", "2026-01-01T00:00:00Z"}};
}

std::function<store::Attributes()> identity_fn(const std::string& fingerprint) {
  return [fingerprint] { return identity(fingerprint); };
}

TEST(ReferenceCache, RadiiRoundTripBitwiseAndManifoldWithThemIsBitwiseTheSame) {
  const dist::Comm& comm = g_env->world();
  SharedDir dir(comm);
  const auto side = dir.path() / "real.h5.refcache.h5";
  const auto real = gaussian(97, 10, 1, 0.0), fake = gaussian(41, 10, 2, 0.3);
  metrics::MatrixRowSource r(real.view()), f(fake.view());
  ManifoldOptions o;
  o.tile_rows = 16;  // several chunks per rank
  o.threads = 1;
  const auto fresh = compute_manifold(r, f, o, comm);
  ASSERT_FALSE(fresh.reference_radii_precomputed);
  // The engine's radii are the brute-force ones (an independent computation).
  const auto k3 = brute_force_radii(real, 3), k5 = brute_force_radii(real, 5);
  ASSERT_EQ(fresh.radius_precision_recall.size(), 97u);
  for (std::size_t i = 0; i < k3.size(); ++i) {
    EXPECT_NEAR(fresh.radius_precision_recall[i], k3[i], 1e-12 * k3[i]) << i;
    EXPECT_NEAR(fresh.radius_density_coverage[i], k5[i], 1e-12 * k5[i]) << i;
  }
  EXPECT_EQ(fresh.radius_precision_recall[0], 0.0);  // rows 0..3 are duplicates: k = 3 radius 0
  EXPECT_GT(fresh.radius_density_coverage[0], 0.0);  // ... but the 5th neighbour is elsewhere

  ReferenceCache writer(side, identity_fn("sha256:aa"));
  EXPECT_FALSE(writer.radii({3, 5}, 97, comm).has_value());  // nothing cached yet
  writer.put_radii({{3, fresh.radius_precision_recall}, {5, fresh.radius_density_coverage}}, comm);
  EXPECT_EQ(writer.computed(), comm.is_root() ? 2 : 0);
  if (comm.is_root()) {
    ASSERT_TRUE(std::filesystem::exists(side));
  }

  ReferenceCache reader(side, identity_fn("sha256:aa"));  // a later run
  const auto got = reader.radii({5, 3}, 97, comm);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(same_bits(got->at(3), fresh.radius_precision_recall));
  EXPECT_TRUE(same_bits(got->at(5), fresh.radius_density_coverage));
  EXPECT_EQ(reader.loaded(), comm.is_root() ? 2 : 0);
  // A k that was never computed: nothing, on every rank.
  EXPECT_FALSE(reader.radii({3, 7}, 97, comm).has_value());
  // Another row count (the reference changed): nothing.
  ReferenceCache other_rows(side, identity_fn("sha256:aa"));
  EXPECT_FALSE(other_rows.radii({3}, 96, comm).has_value());

  ManifoldOptions cached_options = o;
  cached_options.reference_radii = &*got;
  const auto cached = compute_manifold(r, f, cached_options, comm);
  EXPECT_TRUE(cached.reference_radii_precomputed);
  EXPECT_EQ(cached.diagnostics.at("reference_knn").at("precomputed"), true);
  expect_same(cached, fresh);

  // Radii of the wrong length are refused on every rank, naming k.
  Radii wrong = {{3, std::vector<double>(96, 1.0)}, {5, fresh.radius_density_coverage}};
  cached_options.reference_radii = &wrong;
  EXPECT_THROW_WITH(compute_manifold(r, f, cached_options, comm), DataError,
                    "precomputed reference radii for k = 3 have 96 values, the reference has 97");
}

TEST(ReferenceCache, SideFileOfOtherInputsIsIgnoredAndReplaced) {
  const dist::Comm& comm = g_env->world();
  SharedDir dir(comm);
  const auto side = dir.path() / "real.h5.refcache.h5";
  const std::vector<double> old_radii(20, 0.5), new_radii(20, 0.25);
  ReferenceCache before(side, identity_fn("sha256:old"));
  before.put_radii({{3, old_radii}}, comm);

  ReferenceCache after(side, identity_fn("sha256:new"));  // the store was rebuilt
  EXPECT_FALSE(after.radii({3}, 20, comm).has_value());
  after.put_radii({{3, new_radii}}, comm);
  if (comm.is_root()) {
    const auto file = store::read_side_file(side, kReferenceCacheFormat);
    EXPECT_EQ(file.attributes.at("source.dataset_fingerprint"), "sha256:new");
    EXPECT_EQ(file.attributes.count("tool_version"), 1u);
    EXPECT_EQ(file.attributes.count("git_commit"), 1u);
    ASSERT_EQ(file.arrays.size(), 1u);  // the old inputs' radii are gone
    EXPECT_EQ(file.arrays.at("radii/k3").reals, new_radii);
    EXPECT_EQ(file.arrays.at("radii/k3").attributes.at("kind"), "knn_radii");
    EXPECT_EQ(file.arrays.at("radii/k3").attributes.at("k"), "3");
  }
  ReferenceCache again(side, identity_fn("sha256:new"));
  const auto got = again.radii({3}, 20, comm);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->at(3), new_radii);
  ReferenceCache old_inputs(side, identity_fn("sha256:old"));
  EXPECT_FALSE(old_inputs.radii({3}, 20, comm).has_value());

  // Structures of the same inputs accumulate: k = 5 joins k = 3.
  again.put_radii({{5, old_radii}}, comm);
  ReferenceCache both(side, identity_fn("sha256:new"));
  const auto two = both.radii({3, 5}, 20, comm);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->at(3), new_radii);
  EXPECT_EQ(two->at(5), old_radii);
}

// Flips one byte of the first occurrence of `pattern` in the file.
bool flip_byte_of(const std::filesystem::path& path, const std::string& pattern) {
  std::string bytes = testing::read_text(path);
  const auto at = bytes.find(pattern);
  if (at == std::string::npos) return false;
  bytes[at + 3] = static_cast<char>(bytes[at + 3] ^ 0x40);
  testing::write_text(path, bytes);
  return true;
}

TEST(ReferenceCache, DamagedOrForeignSideFileIsIgnoredAndReplaced) {
  const dist::Comm& comm = g_env->world();
  SharedDir dir(comm);
  const auto side = dir.path() / "real.h5.refcache.h5";
  const double marker = 1234.5678;  // a value whose bytes are easy to find in the file
  const std::vector<double> radii(16, marker);
  ReferenceCache writer(side, identity_fn("sha256:aa"));
  writer.put_radii({{3, radii}}, comm);
  std::int64_t flipped = 0;
  if (comm.is_root()) {
    std::string pattern(sizeof marker, '\0');
    std::memcpy(pattern.data(), &marker, sizeof marker);
    flipped = flip_byte_of(side, pattern) ? 1 : 0;
    // The damage is in raw data, which HDF5 does not checksum: the array's sha256 catches it.
    EXPECT_THROW_WITH(store::read_side_file(side, kReferenceCacheFormat), StoreError,
                      "array 'radii/k3' is damaged");
  }
  comm.broadcast(flipped);
  ASSERT_EQ(flipped, 1);
  ReferenceCache damaged(side, identity_fn("sha256:aa"));
  EXPECT_FALSE(damaged.radii({3}, 16, comm).has_value());
  damaged.put_radii({{3, radii}}, comm);  // replaced
  ReferenceCache repaired(side, identity_fn("sha256:aa"));
  ASSERT_TRUE(repaired.radii({3}, 16, comm).has_value());

  // Truncated, then not HDF5 at all: ignored, then replaced.
  if (comm.is_root()) {
    const auto bytes = testing::read_text(side);
    testing::write_text(side, bytes.substr(0, bytes.size() / 2));
  }
  comm.barrier();
  ReferenceCache truncated(side, identity_fn("sha256:aa"));
  EXPECT_FALSE(truncated.radii({3}, 16, comm).has_value());
  if (comm.is_root()) testing::write_text(side, "not an HDF5 file\n");
  comm.barrier();
  ReferenceCache foreign(side, identity_fn("sha256:aa"));
  EXPECT_FALSE(foreign.radii({3}, 16, comm).has_value());
  foreign.put_radii({{3, radii}}, comm);
  ReferenceCache fine(side, identity_fn("sha256:aa"));
  const auto got = fine.radii({3}, 16, comm);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->at(3), radii);

  // An identity that cannot be computed (a missing store): the cache is off, never an error.
  ReferenceCache off(side, []() -> store::Attributes { throw StoreError("no such store"); });
  EXPECT_FALSE(off.radii({3}, 16, comm).has_value());
  off.put_radii({{3, radii}}, comm);
  EXPECT_EQ(off.computed(), comm.is_root() ? 1 : 0);  // counted, nothing written
}

// A complete store of `rows` x `dim` Gaussian rows whose recorded statistics are `stats`.
void write_store(const std::filesystem::path& path, const FeatureMatrix& x,
                 const store::StoredStatistics& stats, const std::string& created) {
  store::StoreLayout layout;
  layout.rows = x.rows;
  layout.dim = x.cols;
  layout.unit_size = 8;
  std::vector<std::string> ids;
  for (std::int64_t i = 0; i < x.rows; ++i)
    ids.push_back("img" + std::to_string(i));
  auto st = store::FeatureStore::create(path, layout, ids,
                                        {{"backbone", "test"},
                                         {"backbone_identity", "t"},
                                         {"dataset_fingerprint", "sha256:00"},
                                         {"job_config_hash", "job-a"},
                                         {"job_file", "a.toml"},
                                         {"created_utc", created}});
  const std::vector<std::uint8_t> valid(static_cast<std::size_t>(x.rows), 1);
  for (std::int64_t u = 0; u < st.num_units(); ++u) {
    const std::int64_t b = st.unit_begin(u), e = st.unit_end(u);
    st.write_unit(u, FeatureView{x.row(b), e - b, x.cols},
                  std::span<const std::uint8_t>(valid.data() + b, e - b), {});
  }
  st.write_statistics(stats);
}

// Reference statistics are the store's (written at extraction), never recomputed: a store whose
// recorded mean is deliberately not its rows' mean gives the recorded one back. And the identity
// that keys both caches follows the store's provenance and statistics, not the job that made it.
TEST(ReferenceStatistics, ComeFromTheStoreAndKeyTheIdentity) {
  testing::TempDir dir("gensweep-refstats");
  const auto x = gaussian(20, 3, 9, 0.0);
  store::StoredStatistics recorded{20, {42.0, -1.0, 0.5}, std::vector<double>(9, 0.0)};
  for (int d = 0; d < 3; ++d)
    recorded.scatter[static_cast<std::size_t>(d * 4)] = 19.0;  // covariance = identity
  const auto path = dir.path() / "real.h5";
  write_store(path, x, recorded, "2026-01-01T00:00:00Z");
  const auto set = FeatureSet::from_store(path);
  const auto& stats = set.stats();
  EXPECT_EQ(stats.count, 20);
  EXPECT_EQ(stats.mean(0), 42.0);
  EXPECT_EQ(stats.mean(1), -1.0);
  EXPECT_EQ(stats.mean(2), 0.5);

  Plan plan;
  plan.output_dir = dir.path();
  DatasetPlan features;
  features.id = "real";
  features.features_spec = path.string() + ":/features";
  plan.datasets.push_back(features);
  const auto id = set_identity(plan, StoreCatalogue{}, "real", "given");
  EXPECT_EQ(id.at("dataset_fingerprint"), "sha256:00");
  EXPECT_EQ(id.at("valid_rows"), "20");
  // The digest of the recorded count and mean (read without the scatter).
  Sha256 digest;
  digest.update(&recorded.count, sizeof recorded.count);
  digest.update(recorded.mean.data(), recorded.mean.size() * sizeof(double));
  EXPECT_EQ(id.at("statistics_sha256"), digest.hex_digest());
  EXPECT_EQ(id.count("job_config_hash"), 0u);  // a job that gains a dataset keeps the key
  EXPECT_EQ(id.count("job_file"), 0u);
  EXPECT_EQ(reference_cache_path(plan, "real", "given"),
            dir.path() / "cache" / "reference" / "real__given.refcache.h5");
  // Rebuilt with other statistics: another identity, even with the same created_utc.
  recorded.mean[0] = 43.0;
  write_store(path, x, recorded, "2026-01-01T00:00:00Z");
  const auto rebuilt = set_identity(plan, StoreCatalogue{}, "real", "given");
  EXPECT_NE(rebuilt.at("statistics_sha256"), id.at("statistics_sha256"));
  // A plain features file: its path, size and modification time.
  const auto npy = dir.path() / "x.npy";
  testing::write_text(npy, "not really numpy, but a file");
  plan.datasets[0].features_spec = npy.string();
  const auto file_id = set_identity(plan, StoreCatalogue{}, "real", "given");
  EXPECT_EQ(file_id.at("file"), std::filesystem::canonical(npy).string());
  EXPECT_EQ(file_id.at("size"), "28");
  EXPECT_FALSE(file_id.at("mtime_ns").empty());
}

// The GMM group (not collective: each rank runs it alone with the serial twin).
class GmmGroup : public ::testing::TestWithParam<double> {};

GroupResult run_gmm_group(const FeatureSet& ref, const FeatureSet& ev,
                          const config::MetricParameterValues& set, ReferenceCache* cache) {
  dist::Comm serial;
  const std::vector<std::string> metrics = {"giqa_gmm", "qs", "ds"};
  GroupRequest request{ref, ev, metrics, {}, serial, 2, cache, false};
  for (const auto& m : metrics)
    request.parameters.emplace(m, MetricParameters(m, set));
  GroupResult result;
  find_group("gmm").compute(request, result);
  return result;
}

TEST_P(GmmGroup, CachedFitGivesGiqaGmmBitForBit) {
  const double pca = GetParam();
  testing::TempDir dir("gensweep-refcache-gmm");
  const auto real = gaussian(150, 6, 3, 0.0), fake = gaussian(60, 6, 4, 0.5);
  config::MetricParameterValues set;
  for (const char* m : {"giqa_gmm", "qs", "ds"}) {
    set[m]["components"] = std::int64_t{3};
    set[m]["max_iter"] = std::int64_t{40};
    set[m]["seed"] = std::int64_t{7};
    set[m]["pca"] = pca;
  }
  // Independent path: the metrics module's own GIQA.
  metrics::GiqaGmmOptions o;
  o.gmm.components = 3;
  o.gmm.max_iter = 40;
  o.gmm.seed = 7;
  o.gmm.threads = 1;
  o.pca_fraction = pca;
  const auto direct = metrics::giqa_gmm(real.view(), fake.view(), o, true);
  ASSERT_EQ(direct.pca_dim > 0, pca > 0);
  std::vector<double> sorted = direct.scores;
  std::sort(sorted.begin(), sorted.end());
  const double median = 0.5 * (sorted[29] + sorted[30]);  // 60 scores

  const auto ref = FeatureSet::from_matrix(real), ev = FeatureSet::from_matrix(fake);
  const auto side = dir.path() / "real.h5.refcache.h5";
  ReferenceCache first(side, identity_fn("sha256:aa"));
  ReferenceCache second(side, identity_fn("sha256:aa"));  // a later run: reads the side file
  const GroupResult uncached = run_gmm_group(ref, ev, set, nullptr);
  const GroupResult computed = run_gmm_group(ref, ev, set, &first);
  EXPECT_EQ(first.computed(), 1);
  EXPECT_EQ(first.loaded(), 0);
  const GroupResult loaded = run_gmm_group(ref, ev, set, &second);
  EXPECT_EQ(second.loaded(), 1);
  EXPECT_EQ(second.computed(), 0);
  for (const GroupResult* r : {&uncached, &computed, &loaded}) {
    EXPECT_TRUE(same_bits(r->per_sample.reals.at("giqa_gmm"), direct.scores));
    EXPECT_TRUE(same_bits(r->values.at("giqa_gmm").value, median));
    EXPECT_TRUE(same_bits(r->values.at("qs").value, direct.quality_score));
    EXPECT_TRUE(same_bits(r->values.at("ds").value, direct.diversity_score));
    EXPECT_EQ(r->values.at("ds").diagnostics, uncached.values.at("ds").diagnostics);
    EXPECT_EQ(r->values.at("giqa_gmm").diagnostics.at("lower_bound"),
              direct.reference_model.lower_bound);
    EXPECT_EQ(r->values.at("giqa_gmm").diagnostics.at("pca_dim"), direct.pca_dim);
  }
  // The side file holds the fit with its parameters.
  const auto file = store::read_side_file(side, kReferenceCacheFormat, "gmm/");
  ASSERT_FALSE(file.arrays.empty());
  bool found = false;
  for (const auto& [name, a] : file.arrays) {
    if (name.size() < 8 || name.substr(name.size() - 8) != "/weights") continue;
    found = true;
    EXPECT_EQ(a.attributes.at("kind"), "gmm");
    EXPECT_EQ(a.attributes.at("covariance_type"), "full");
    EXPECT_NE(a.attributes.at("parameters").find("\"components\":3"), std::string::npos)
        << a.attributes.at("parameters");
    EXPECT_TRUE(same_bits(a.reals, direct.reference_model.weights));
  }
  EXPECT_TRUE(found);
  // Other fit parameters: not that fit.
  set["giqa_gmm"]["seed"] = set["qs"]["seed"] = set["ds"]["seed"] = std::int64_t{8};
  ReferenceCache third(side, identity_fn("sha256:aa"));
  run_gmm_group(ref, ev, set, &third);
  EXPECT_EQ(third.loaded(), 0);
  EXPECT_EQ(third.computed(), 1);
}

INSTANTIATE_TEST_SUITE_P(PcaOffAndOn, GmmGroup, ::testing::Values(0.0, 0.9));

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
