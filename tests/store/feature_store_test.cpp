#include "gensweep/store/feature_store.h"

#include "gensweep/core/error.h"

#include "store_test_util.h"
#include "test_util.h"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace gensweep::store {
namespace {

using gensweep::testing::TempDir;
using namespace gensweep::store::testing;

StoreLayout small_layout() {
  StoreLayout layout;
  layout.rows = 10;
  layout.dim = 3;
  layout.unit_size = 4;
  layout.logits_dim = 2;
  return layout;
}

FeatureStore make_store(const std::filesystem::path& path, StoreLayout layout = small_layout()) {
  return FeatureStore::create(path, layout, make_ids(layout.rows), make_provenance());
}

TEST(FeatureStore, CreateWriteReopenRoundTrip) {
  TempDir dir;
  const auto path = dir / "cifar10-train.random-cnn.h5";
  {
    FeatureStore store = make_store(path);
    EXPECT_TRUE(store.writable());
    EXPECT_EQ(store.num_units(), 3);
    EXPECT_EQ(store.progress(), (std::vector<std::uint8_t>{0, 0, 0}));
    EXPECT_FALSE(store.is_complete());
    EXPECT_EQ(store.unit_begin(2), 8);
    EXPECT_EQ(store.unit_end(2), 10);  // the last unit is shorter
    // Units finish in any order.
    write_test_unit(store, 2);
    EXPECT_EQ(store.progress(), (std::vector<std::uint8_t>{0, 0, 1}));
    write_test_unit(store, 0);
    write_test_unit(store, 1);
    EXPECT_TRUE(store.is_complete());
  }
  for (const bool writable : {false, true}) {
    FeatureStore store = writable ? FeatureStore::open_write(path) : FeatureStore::open_read(path);
    EXPECT_EQ(store.writable(), writable);
    EXPECT_EQ(store.path(), path);
    const StoreLayout& layout = store.layout();
    EXPECT_EQ(layout.rows, 10);
    EXPECT_EQ(layout.dim, 3);
    EXPECT_EQ(layout.unit_size, 4);
    EXPECT_EQ(layout.logits_dim, 2);
    EXPECT_TRUE(store.is_complete());
    EXPECT_EQ(expect_done_units_intact(store), 3);
    EXPECT_EQ(store.read_ids(), make_ids(10));
    const auto failures = store.read_failures();
    ASSERT_EQ(failures.size(), 1u);  // rows 3 (and 10, 17, ... beyond the store)
    EXPECT_EQ(failures[0].row, 3);
    EXPECT_EQ(failures[0].reason, failure_reason(3));
    Attributes expected = make_provenance();
    expected["schema_version"] = "1";
    EXPECT_EQ(store.provenance(), expected);
  }
}

TEST(FeatureStore, IdsKeepUnicodeSpacesAndEmptyStrings) {
  TempDir dir;
  const std::vector<std::string> ids = {"a b c.png",   "ünïcødé/日本語.jpg", "",
                                        "emoji 🎨.png", "  leading",          "tab\tinside"};
  StoreLayout layout;
  layout.rows = static_cast<std::int64_t>(ids.size());
  layout.dim = 2;
  FeatureStore::create(dir / "s.h5", layout, ids, {});
  EXPECT_EQ(FeatureStore::open_read(dir / "s.h5").read_ids(), ids);
}

TEST(FeatureStore, LargeProvenanceValuesAndLongIds) {
  // Values and ids bigger than one global heap collection (4 KiB) spread over several.
  TempDir dir;
  Attributes provenance = make_provenance();
  provenance["preprocessing"] = std::string(20000, 'p');
  provenance["config"] = std::string(5000, 'c');
  StoreLayout layout;
  layout.rows = 2000;
  layout.dim = 2;
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i)
    ids.push_back(std::string(static_cast<std::size_t>(i % 300), 'x') + std::to_string(i));
  ids[7] = std::string(9000, 'L');
  FeatureStore::create(dir / "s.h5", layout, ids, provenance);
  FeatureStore store = FeatureStore::open_read(dir / "s.h5");
  EXPECT_EQ(store.read_ids(), ids);
  EXPECT_EQ(store.provenance().at("preprocessing"), provenance["preprocessing"]);
  EXPECT_EQ(store.provenance().at("config"), provenance["config"]);
}

TEST(FeatureStore, RewritingADoneUnitReplacesItsRows) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  write_test_unit(store, 0);
  FeatureMatrix features(4, 3);
  FeatureMatrix logits(4, 2);
  const std::vector<std::uint8_t> valid = {1, 0, 1, 1};
  store.write_unit(0, features.view(), valid, {{1, "second attempt"}}, logits.view());
  std::vector<float> back(12, -1.0f);
  store.read_features(0, 4, back.data());
  EXPECT_EQ(back, std::vector<float>(12, 0.0f));
  const auto failures = store.read_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].row, 1);
  EXPECT_EQ(failures[0].reason, "second attempt");
  EXPECT_EQ(store.progress()[0], 1);
}

TEST(FeatureStore, InvalidRowWithoutAReasonReportsAnEmptyReason) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  FeatureMatrix features(4, 3);
  FeatureMatrix logits(4, 2);
  store.write_unit(0, features.view(), std::vector<std::uint8_t>{1, 1, 0, 1}, {}, logits.view());
  const auto failures = store.read_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].row, 2);
  EXPECT_EQ(failures[0].reason, "");
}

TEST(FeatureStore, LongOrInvalidReasonsAreCutAtACharacterBoundary) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  std::string long_reason;
  while (long_reason.size() < 400)
    long_reason += "é☃";  // 2- and 3-byte characters
  FeatureMatrix features(4, 3);
  FeatureMatrix logits(4, 2);
  store.write_unit(0, features.view(), std::vector<std::uint8_t>{0, 0, 1, 1},
                   {{0, long_reason}, {1, std::string("bad \xff byte\0x", 12)}}, logits.view());
  const auto failures = store.read_failures();
  ASSERT_EQ(failures.size(), 2u);
  const std::string& cut = failures[0].reason;
  EXPECT_LE(cut.size(), static_cast<std::size_t>(kMaxFailureReasonBytes));
  EXPECT_GE(cut.size(), static_cast<std::size_t>(kMaxFailureReasonBytes) - 6);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  EXPECT_EQ(long_reason.compare(0, cut.size() - 3, cut, 0, cut.size() - 3), 0);
  EXPECT_EQ(failures[1].reason, "bad ? byte?x");
}

TEST(FeatureStore, WriteUnitRejectsShapesThatDoNotMatchTheLayout) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  FeatureMatrix features(4, 3);
  FeatureMatrix logits(4, 2);
  const std::vector<std::uint8_t> valid = {1, 1, 1, 1};
  const std::string unit0 = "unit 0 (rows [0, 4))";
  EXPECT_THROW_WITH(store.write_unit(3, features.view(), valid, {}, logits.view()), StoreError,
                    "unit 3 out of range [0, 3)");
  EXPECT_THROW_WITH(store.write_unit(2, features.view(), valid, {}, logits.view()), StoreError,
                    "features are [4 x 3], expected [2 x 3]");
  FeatureMatrix wide(4, 5);
  EXPECT_THROW_WITH(store.write_unit(0, wide.view(), valid, {}, logits.view()), StoreError,
                    unit0 + ": features are [4 x 5], expected [4 x 3]");
  EXPECT_THROW_WITH(
      store.write_unit(0, features.view(), std::vector<std::uint8_t>{1, 1}, {}, logits.view()),
      StoreError, "2 valid flags, expected 4");
  EXPECT_THROW_WITH(store.write_unit(0, features.view(), std::vector<std::uint8_t>{1, 2, 1, 1}, {},
                                     logits.view()),
                    StoreError, "valid flag of row 1 is 2, expected 0 or 1");
  EXPECT_THROW_WITH(store.write_unit(0, features.view(), valid, {}), StoreError,
                    "logits are [0 x 0], expected [4 x 2]");
  EXPECT_THROW_WITH(store.write_unit(0, features.view(), valid, {{5, "x"}}, logits.view()),
                    StoreError, "failure of row 5 lies outside the unit");
  EXPECT_THROW_WITH(store.write_unit(0, features.view(), valid, {{1, "x"}}, logits.view()),
                    StoreError, "row 1 has a failure ('x') but is marked valid");
  EXPECT_THROW_WITH(store.write_unit(0, features.view(), std::vector<std::uint8_t>{0, 1, 1, 1},
                                     {{0, "x"}, {0, "y"}}, logits.view()),
                    StoreError, "row 0 has more than one failure");
  // Nothing was written by the rejected calls.
  EXPECT_EQ(store.progress(), (std::vector<std::uint8_t>{0, 0, 0}));

  StoreLayout no_logits = small_layout();
  no_logits.logits_dim = 0;
  FeatureStore plain = make_store(dir / "plain.h5", no_logits);
  EXPECT_THROW_WITH(plain.write_unit(0, features.view(), valid, {}, logits.view()), StoreError,
                    "4 rows of logits given, but the store has no /logits dataset");
  std::vector<float> out(8);
  EXPECT_THROW_WITH(plain.read_logits(0, 4, out.data()), StoreError, "has no logits");
}

TEST(FeatureStore, ReadsCheckTheirRange) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  std::vector<float> out(100);
  EXPECT_THROW_WITH(store.read_features(8, 3, out.data()), StoreError,
                    "rows [8, 11) out of range [0, 10)");
  EXPECT_THROW_WITH(store.read_features(-1, 1, out.data()), StoreError, "out of range");
  store.read_features(10, 0, nullptr);  // an empty read is fine
}

TEST(FeatureStore, UnwrittenRowsReadAsZeros) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  write_test_unit(store, 1);
  std::vector<float> out(12, -1.0f);
  store.read_features(0, 4, out.data());
  EXPECT_EQ(out, std::vector<float>(12, 0.0f));
  EXPECT_TRUE(store.read_failures().empty());  // row 3 failed in no *done* unit
}

TEST(FeatureStore, ReadOnlyStoreRefusesWrites) {
  TempDir dir;
  make_store(dir / "s.h5");
  FeatureStore store = FeatureStore::open_read(dir / "s.h5");
  FeatureMatrix features(4, 3);
  FeatureMatrix logits(4, 2);
  EXPECT_THROW_WITH(
      store.write_unit(0, features.view(), std::vector<std::uint8_t>(4, 1), {}, logits.view()),
      StoreError, "cannot write a unit: the store was opened read-only");
  EXPECT_THROW_WITH(store.set_attribute("complete_utc", "now"), StoreError, "read-only");
  EXPECT_THROW_WITH(store.write_statistics({}), StoreError, "read-only");
}

TEST(FeatureStore, StatisticsRoundTripBitwise) {
  TempDir dir;
  StoreLayout layout = small_layout();
  FeatureStore store = make_store(dir / "s.h5", layout);
  EXPECT_EQ(store.read_statistics(), std::nullopt);
  StoredStatistics stats;
  stats.count = 123456789012;
  stats.mean = {1.0 / 3.0, -0.0, std::numeric_limits<double>::denorm_min()};
  for (int i = 0; i < 9; ++i)
    stats.scatter.push_back(std::nextafter(1e300, 0.0) / (i + 1));
  stats.scatter[4] = std::numeric_limits<double>::quiet_NaN();
  stats.scatter[5] = -std::numeric_limits<double>::infinity();
  store.write_statistics(stats);
  const auto check = [&](const FeatureStore& s) {
    const auto back = s.read_statistics();
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->count, stats.count);
    ASSERT_EQ(back->mean.size(), 3u);
    ASSERT_EQ(back->scatter.size(), 9u);
    EXPECT_EQ(std::memcmp(back->mean.data(), stats.mean.data(), 3 * sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(back->scatter.data(), stats.scatter.data(), 9 * sizeof(double)), 0);
  };
  check(store);
  check(FeatureStore::open_read(dir / "s.h5"));
  // Replacing them works too, and a count of zero is a real value, not "absent".
  StoredStatistics empty{0, std::vector<double>(3, 0.0), std::vector<double>(9, 0.0)};
  store.write_statistics(empty);
  EXPECT_EQ(store.read_statistics()->count, 0);
  EXPECT_THROW_WITH(store.write_statistics({1, {1.0}, {1.0}}), StoreError,
                    "statistics have count 1, 1 means and 1 scatter entries; expected count >= 0, "
                    "3 and 9");
}

TEST(FeatureStore, SetAttributeAddsAndReplacesRootAttributes) {
  TempDir dir;
  {
    FeatureStore store = make_store(dir / "s.h5");
    store.set_attribute("complete_utc", "2026-11-22T23:59:59Z");
    ::testing::internal::CaptureStderr();  // replacing a creation-time attribute warns
    store.set_attribute("backbone", "replaced ✓");
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(store.provenance().at("complete_utc"), "2026-11-22T23:59:59Z");
    EXPECT_THROW_WITH(store.set_attribute("format", "x"), StoreError,
                      "attribute 'format' is reserved");
    EXPECT_THROW_WITH(store.set_attribute("schema_version", "2"), StoreError,
                      "attribute 'schema_version' is reserved");
    EXPECT_THROW_WITH(store.set_attribute("", "x"), StoreError, "must not be empty");
    EXPECT_THROW_WITH(store.set_attribute("k", std::string("a\0b", 3)), StoreError,
                      "the value of attribute 'k' is not valid UTF-8 text (byte 1");
  }
  FeatureStore store = FeatureStore::open_read(dir / "s.h5");
  EXPECT_EQ(store.provenance().at("complete_utc"), "2026-11-22T23:59:59Z");
  EXPECT_EQ(store.provenance().at("backbone"), "replaced ✓");
  EXPECT_EQ(store.provenance().count("format"), 0u);
}

TEST(FeatureStore, SetAttributeWarnsWhenItCannotBeCrashAtomic) {
  TempDir dir;
  FeatureStore store = make_store(dir / "s.h5");
  ::testing::internal::CaptureStderr();
  store.set_attribute("complete_utc", "2026-11-22T23:59:59Z");
  store.set_attribute("complete_utc", "2026-11-22T23:59:58Z");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  // Too big for the space reserved in the root object header: still written, with a warning.
  const std::string big(8000, 'b');
  ::testing::internal::CaptureStderr();
  store.set_attribute("big", big);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("is not crash-atomic"),
            std::string::npos);
  // Replacing a provenance attribute written by create() is not a single-block change either.
  ::testing::internal::CaptureStderr();
  store.set_attribute("backbone", "other");
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("setting attribute 'backbone'"),
            std::string::npos);
  FeatureStore back = FeatureStore::open_read(dir / "s.h5");
  EXPECT_EQ(back.provenance().at("big"), big);
  EXPECT_EQ(back.provenance().at("backbone"), "other");
  EXPECT_EQ(back.provenance().at("complete_utc"), "2026-11-22T23:59:58Z");
}

TEST(FeatureStore, CreateValidatesItsArguments) {
  TempDir dir;
  const auto path = dir / "s.h5";
  EXPECT_THROW_WITH(FeatureStore::create(path, small_layout(), make_ids(9), {}), StoreError,
                    "9 ids given for 10 rows");
  StoreLayout bad = small_layout();
  bad.dim = 0;
  EXPECT_THROW_WITH(FeatureStore::create(path, bad, make_ids(10), {}), StoreError,
                    "invalid layout rows=10 dim=0");
  auto ids = make_ids(10);
  ids[7] = "latin-1 \xe9t\xe9";
  EXPECT_THROW_WITH(FeatureStore::create(path, small_layout(), ids, {}), StoreError,
                    "id of row 7 is not valid UTF-8 text (byte 8");
  EXPECT_THROW_WITH(FeatureStore::create(path, small_layout(), make_ids(10), {{"format", "x"}}),
                    StoreError, "attribute 'format' is reserved");
  EXPECT_THROW_WITH(
      FeatureStore::create(path, small_layout(), make_ids(10), {{"schema_version", "7"}}),
      StoreError, "attribute 'schema_version' is set by the store (to '1'), got '7'");
  EXPECT_FALSE(std::filesystem::exists(path));
  // Accepted: the store's own value.
  FeatureStore::create(path, small_layout(), make_ids(10), {{"schema_version", "1"}});
}

TEST(FeatureStore, CreateReplacesAnExistingStoreAndLeavesNoSideFiles) {
  TempDir dir;
  const auto path = dir / "nested" / "dirs" / "s.h5";
  {
    FeatureStore store = make_store(path);
    write_test_unit(store, 0);
  }
  StoreLayout other = small_layout();
  other.rows = 5;
  {
    FeatureStore store = FeatureStore::create(path, other, make_ids(5), {{"backbone", "b"}});
    EXPECT_EQ(store.progress(), (std::vector<std::uint8_t>{0, 0}));
  }
  FeatureStore store = FeatureStore::open_read(path);
  EXPECT_EQ(store.layout().rows, 5);
  EXPECT_EQ(store.provenance().at("backbone"), "b");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path()))
    names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"s.h5"});  // no .partial, no .lock
}

TEST(FeatureStore, EmptyStoreIsCompleteFromTheStart) {
  TempDir dir;
  StoreLayout layout;
  layout.rows = 0;
  layout.dim = 4;
  layout.logits_dim = 3;
  FeatureStore::create(dir / "empty.h5", layout, {}, make_provenance());
  FeatureStore store = FeatureStore::open_read(dir / "empty.h5");
  EXPECT_EQ(store.num_units(), 0);
  EXPECT_TRUE(store.is_complete());
  EXPECT_TRUE(store.read_ids().empty());
  EXPECT_TRUE(store.read_valid().empty());
  EXPECT_TRUE(store.read_failures().empty());
  EXPECT_EQ(store.layout().logits_dim, 3);
}

TEST(FeatureStore, MovedStoreKeepsWorking) {
  TempDir dir;
  FeatureStore a = make_store(dir / "s.h5");
  FeatureStore b = std::move(a);
  write_test_unit(b, 0);
  FeatureStore c = make_store(dir / "t.h5");
  c = std::move(b);
  EXPECT_EQ(c.progress()[0], 1);
  EXPECT_EQ(c.path(), dir / "s.h5");
}

// The layout other tools see: chunking, early allocation, types, attribute kinds.
TEST(FeatureStore, Hdf5LayoutMatchesTheDocumentation) {
  TempDir dir;
  StoreLayout layout;
  layout.rows = 1000;
  layout.dim = 8192;  // 32 KiB rows: a 256-row chunk would be 8 MiB, so chunks shrink to 128 rows
  layout.unit_size = 256;
  FeatureStore::create(dir / "s.h5", layout, make_ids(1000), make_provenance());

  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen((dir / "s.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const auto chunk_of = [&](const char* name) {
    const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t dcpl = H5Dget_create_plist(dataset);
    std::vector<hsize_t> chunk(2, 0);
    const int rank = H5Pget_layout(dcpl) == H5D_CHUNKED ? H5Pget_chunk(dcpl, 2, chunk.data()) : 0;
    chunk.resize(static_cast<std::size_t>(rank));
    H5Pclose(dcpl);
    H5Dclose(dataset);
    return chunk;
  };
  EXPECT_EQ(chunk_of("/features"), (std::vector<hsize_t>{128, 8192}));
  EXPECT_EQ(chunk_of("/errors"), (std::vector<hsize_t>{256}));
  EXPECT_TRUE(chunk_of("/valid").empty());
  EXPECT_TRUE(chunk_of("/progress").empty());

  // Space for every row is allocated up front (that is what keeps unit writes off the metadata).
  const hid_t features = H5Dopen2(file, "/features", H5P_DEFAULT);
  EXPECT_EQ(H5Dget_storage_size(features), hsize_t{1000} * 8192 * 4 + 24 * 8192 * 4);
  H5Dclose(features);

  // Provenance attributes are variable-length UTF-8 strings (h5py reads them as str).
  const hid_t attribute = H5Aopen(file, "backbone", H5P_DEFAULT);
  const hid_t type = H5Aget_type(attribute);
  EXPECT_EQ(H5Tget_class(type), H5T_STRING);
  EXPECT_GT(H5Tis_variable_str(type), 0);
  EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8);
  H5Tclose(type);
  H5Aclose(attribute);
  H5Fclose(file);
}

TEST(FeatureStore, ChunkRowsDivideTheUnitSize) {
  TempDir dir;
  StoreLayout layout;
  layout.rows = 100;
  layout.dim = 100000;  // 400 KB rows: 10 rows per 4 MiB at most; 10 does not divide 12, 6 does
  layout.unit_size = 12;
  FeatureStore::create(dir / "s.h5", layout, make_ids(100), {});
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen((dir / "s.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, "/features", H5P_DEFAULT);
  const hid_t dcpl = H5Dget_create_plist(dataset);
  hsize_t chunk[2] = {};
  H5Pget_chunk(dcpl, 2, chunk);
  EXPECT_EQ(chunk[0], 6u);
  H5Pclose(dcpl);
  H5Dclose(dataset);
  H5Fclose(file);
}

TEST(FeatureStore, PythonH5pyReadsTheStore) {
  if (!have_python_h5py()) GTEST_SKIP() << "needs /usr/bin/python3 with h5py and numpy";
  TempDir dir;
  {
    FeatureStore store = make_store(dir / "s.h5");
    for (std::int64_t u = 0; u < 3; ++u)
      write_test_unit(store, u);
    store.write_statistics({9, {1, 2, 3}, std::vector<double>(9, 0.5)});
  }
  const std::string script = R"(
import h5py, numpy as np, sys
f = h5py.File(sys.argv[0].replace('script.py', 's.h5'), 'r')
assert f.attrs['format'] == 'gensweep-feature-store', f.attrs['format']
assert isinstance(f.attrs['backbone'], str)
assert f.attrs['schema_version'] == '1'
ids = [x.decode('utf-8') for x in f['ids'][:]]
assert ids[4] == 'sub dir/ünïcødé 4 日本.png', ids[4]
x = f['features'][:]
assert x.shape == (10, 3) and x.dtype == np.float32
assert x[5, 2] == np.float32(5 * 0.5 + 2 / 1024.0 - 3.0)
assert list(f['valid'][:]) == [1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
assert f['errors'][3].decode('utf-8').startswith("cannot decode 'imäge 3.png'")
assert list(f['progress'][:]) == [1, 1, 1] and f['progress'].attrs['unit_size'] == 4
assert f['stats/count'][()] == 9 and list(f['stats/mean'][:]) == [1, 2, 3]
assert f['logits'].shape == (10, 2)
)";
  EXPECT_EQ(run_python(dir.path(), script), 0);
}

}  // namespace
}  // namespace gensweep::store
