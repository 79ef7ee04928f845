// Files that are not healthy gensweep stores: each must give a StoreError naming the path and what
// was expected. Never a crash, and never HDF5's error stack printed on stderr.

#include "gensweep/store/feature_store.h"

#include "gensweep/core/error.h"

#include "store_test_util.h"
#include "test_util.h"

#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace gensweep::store {
namespace {

using gensweep::testing::TempDir;
using namespace gensweep::store::testing;

void make_complete_store(const std::filesystem::path& path) {
  StoreLayout layout;
  layout.rows = 40;
  layout.dim = 16;
  layout.unit_size = 8;
  layout.logits_dim = 4;
  FeatureStore store = FeatureStore::create(path, layout, make_ids(40), make_provenance());
  for (std::int64_t u = 0; u < store.num_units(); ++u)
    write_test_unit(store, u);
  store.write_statistics({40, std::vector<double>(16, 1.0), std::vector<double>(256, 2.0)});
  store.set_attribute("complete_utc", "2026-11-22T23:00:00Z");
}

// Opens the store and reads everything it holds.
void read_everything(const std::filesystem::path& path) {
  FeatureStore store = FeatureStore::open_read(path);
  std::vector<float> rows(static_cast<std::size_t>(store.layout().rows * store.layout().dim));
  store.read_features(0, store.layout().rows, rows.data());
  store.read_ids();
  store.read_valid();
  store.read_failures();
  store.read_statistics();
}

// Runs `body` with stderr captured and checks that nothing was printed (HDF5 prints its error stack
// on stderr unless told not to).
template <typename Body>
void expect_silent(Body&& body) {
  ::testing::internal::CaptureStderr();
  body();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::filesystem::path& path) {
  return gensweep::testing::read_text(path);
}

// Modifies a store with raw HDF5 calls.
template <typename Edit>
void edit_with_hdf5(const std::filesystem::path& path, Edit&& edit) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  edit(file);
  ASSERT_GE(H5Fclose(file), 0);
}

void set_string_attribute(hid_t file, const char* name, const char* value) {
  if (H5Aexists(file, name) > 0) H5Adelete(file, name);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attribute, type, &value);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

TEST(StoreRobustness, MissingFileAndDirectory) {
  TempDir dir;
  const auto path = dir / "absent.h5";
  expect_silent([&] {
    EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                      "store '" + path.string() + "' does not exist");
    EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError, "does not exist");
    EXPECT_THROW_WITH(FeatureStore::open_read(dir.path()), StoreError,
                      "is not a regular file (expected an HDF5 feature store)");
  });
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".lock"));
}

TEST(StoreRobustness, NonHdf5Files) {
  TempDir dir;
  write_bytes(dir / "text.h5", "features,1,2,3\n");
  std::mt19937 rng(7);
  std::string noise(8192, '\0');
  for (char& c : noise)
    c = static_cast<char>(rng());
  write_bytes(dir / "noise.h5", noise);
  write_bytes(dir / "empty.h5", "");
  expect_silent([&] {
    for (const char* name : {"text.h5", "noise.h5", "empty.h5"}) {
      const auto path = dir / name;
      EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                        "store '" + path.string() +
                            "' is not an HDF5 file (expected a gensweep feature store, format "
                            "'gensweep-feature-store')");
      EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError, "is not an HDF5 file");
    }
  });
}

TEST(StoreRobustness, TruncatedStores) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  make_complete_store(pristine);
  const std::string bytes = read_bytes(pristine);
  for (const std::size_t length :
       {std::size_t{5}, std::size_t{100}, std::size_t{2048}, bytes.size() / 2, bytes.size() - 1}) {
    const auto path = dir / ("truncated-" + std::to_string(length) + ".h5");
    write_bytes(path, bytes.substr(0, length));
    expect_silent([&] {
      try {
        read_everything(path);
        ADD_FAILURE() << "truncated to " << length << " bytes: no error";
      } catch (const StoreError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("store '" + path.string() + "'"), std::string::npos) << message;
        // Too short for the signature: "not an HDF5 file"; otherwise HDF5's own diagnosis.
        EXPECT_TRUE(message.find("is not an HDF5 file") != std::string::npos ||
                    message.find("is damaged or truncated: HDF5 cannot open it (HDF5:") !=
                        std::string::npos)
            << message;
      }
    });
  }
  // The exact diagnosis for a store missing its last byte.
  const auto path = dir / ("truncated-" + std::to_string(bytes.size() - 1) + ".h5");
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError, "truncated file: eof = ");
}

TEST(StoreRobustness, OverwrittenMetadataIsReportedNotRead) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  make_complete_store(pristine);
  std::string bytes = read_bytes(pristine);
  // The superblock is followed by the root object header (1.8 format, checksummed).
  std::mt19937 rng(11);
  for (std::size_t i = 48; i < 600; ++i)
    bytes[i] = static_cast<char>(rng());
  const auto path = dir / "scrambled.h5";
  write_bytes(path, bytes);
  expect_silent([&] {
    EXPECT_THROW_WITH(read_everything(path), StoreError, "store '" + path.string() + "'");
  });
}

// Random damage anywhere in the file, in a child process so that a crash inside HDF5 would be
// seen as a failure of this test rather than take the test runner down. Every outcome must be
// either a clean read (the damage hit raw feature bytes, which HDF5 does not checksum) or a
// StoreError, with nothing on stderr. (Before the global-heap check, about 1% of whole-file trials
// crashed inside HDF5 1.10.8's H5HG_read; 10000 trials ran clean after it.)
TEST(StoreRobustness, RandomDamageNeverCrashes) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  make_complete_store(pristine);
  const std::string bytes = read_bytes(pristine);
  int clean = 0;
  int errors = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::mt19937 rng(static_cast<unsigned>(1000 + trial));
    std::string damaged = bytes;
    // Half of the trials hit the first 8 KiB, where the superblock and most metadata live.
    const std::size_t span = trial % 2 ? damaged.size() : std::min<std::size_t>(8192, bytes.size());
    for (int k = 0; k < 8; ++k)
      damaged[rng() % span] = static_cast<char>(rng());
    const auto path = dir / ("damaged-" + std::to_string(trial) + ".h5");
    write_bytes(path, damaged);
    const auto err_path = dir / "stderr.txt";
    const pid_t child = fork();
    if (child == 0) {
      if (!std::freopen(err_path.c_str(), "w", stderr)) _exit(4);
      int code = 0;
      try {
        read_everything(path);
      } catch (const StoreError& e) {
        code = std::string(e.what()).find(path.string()) == std::string::npos ? 3 : 1;
      } catch (...) {
        code = 2;
      }
      std::fflush(stderr);
      _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "trial " << trial << ": killed by signal "
                                   << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    const int code = WEXITSTATUS(status);
    EXPECT_TRUE(code == 0 || code == 1)
        << "trial " << trial << ": exit " << code << " (2 = not a StoreError, 3 = path missing)";
    EXPECT_EQ(gensweep::testing::read_text(err_path), "") << "trial " << trial;
    (code == 0 ? clean : errors) += 1;
  }
  EXPECT_GT(errors, 0);  // the damage was real
  std::printf("random damage: %d trials read cleanly, %d gave StoreError\n", clean, errors);
}

// Offset of a dataset's raw data (contiguous storage).
std::uint64_t raw_offset(const std::filesystem::path& path, const char* name) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  const haddr_t offset = H5Dget_offset(dataset);
  H5Dclose(dataset);
  H5Fclose(file);
  return offset;
}

void overwrite(const std::filesystem::path& path, std::uint64_t offset, const std::string& bytes) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// HDF5 1.10.8 does not bounds-check variable-length string data (its global heap): these two
// cases crashed it before the store checked the heap itself.
TEST(StoreRobustness, DamagedVariableLengthStrings) {
  TempDir dir;
  const auto path = dir / "s.h5";
  make_complete_store(path);
  // A reference of /ids (16 bytes: length, collection address, object index) pointing at an
  // object that does not exist.
  overwrite(path, raw_offset(path, "/ids") + 5 * 16 + 12, std::string("\xff\xff\x00\x00", 4));
  expect_silent([&] {
    FeatureStore store = FeatureStore::open_read(path);  // row 0 is intact: opening works
    EXPECT_THROW_WITH(store.read_ids(), StoreError,
                      "store '" + path.string() +
                          "' is damaged: element 5 of '/ids' refers to a missing or damaged "
                          "variable-length string (global heap collection at byte ");
  });
  // The collection holding the attribute values, with an object size pointing far outside it.
  make_complete_store(path);
  std::string bytes = read_bytes(path);
  const std::size_t collection = bytes.find("GCOL");
  ASSERT_NE(collection, std::string::npos);
  overwrite(path, collection + 16 + 8 + 6, "\x7f");
  expect_silent([&] {
    EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                      "store '" + path.string() +
                          "' is damaged: the global heap collection at byte " +
                          std::to_string(collection) + " (attribute values) is corrupt");
  });
}

TEST(StoreRobustness, Hdf5FileThatIsNotAStore) {
  TempDir dir;
  const auto path = dir / "foreign.h5";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[2] = {4, 2};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t dataset =
      H5Dcreate2(file, "/features", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
  expect_silent([&] {
    EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                      "store '" + path.string() +
                          "' is an HDF5 file but not a gensweep feature store: it has no "
                          "'format' attribute (expected format = 'gensweep-feature-store')");
  });
  edit_with_hdf5(path, [](hid_t f) { set_string_attribute(f, "format", "something-else"); });
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError,
                    "is not a gensweep feature store: attribute format = 'something-else', "
                    "expected 'gensweep-feature-store'");
}

TEST(StoreRobustness, FileWrittenByH5py) {
  if (!have_python_h5py()) GTEST_SKIP() << "needs /usr/bin/python3 with h5py and numpy";
  TempDir dir;
  ASSERT_EQ(run_python(dir.path(), R"(
import h5py, numpy as np, sys
with h5py.File(sys.argv[0].replace('script.py', 'pytorch-fid.h5'), 'w') as f:
    f['features'] = np.zeros((5, 2048), np.float32)
    f.attrs['model'] = 'inception'
)"),
            0);
  const auto path = dir / "pytorch-fid.h5";
  expect_silent([&] {
    EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                      "is an HDF5 file but not a gensweep feature store");
  });
}

TEST(StoreRobustness, NewerSchemaVersion) {
  TempDir dir;
  const auto path = dir / "future.h5";
  make_complete_store(path);
  edit_with_hdf5(path, [](hid_t f) { set_string_attribute(f, "schema_version", "2"); });
  expect_silent([&] {
    EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                      "store '" + path.string() +
                          "' has schema_version 2, but this gensweep reads stores up to "
                          "schema_version 1: it was written by a newer gensweep (upgrade "
                          "gensweep, or rebuild the store)");
  });
  edit_with_hdf5(path, [](hid_t f) { set_string_attribute(f, "schema_version", "one"); });
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                    "has an unreadable schema_version 'one' (expected '1')");
  edit_with_hdf5(path, [](hid_t f) { H5Adelete(f, "schema_version"); });
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                    "has no 'schema_version' attribute (expected '1'): the file is damaged");
}

TEST(StoreRobustness, MissingOrMistypedDatasets) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  make_complete_store(pristine);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/features", "float32 [N x D]"},
      {"/valid", "uint8 [N]"},
      {"/ids", "string [N]"},
      {"/progress", "uint8 [units]"},
      {"/errors", "string[256] [N]"},
      {"/stats/count", "int64 scalar"},
      {"/stats/scatter", "float64 [D x D]"}};
  for (const auto& [name, expected] : cases) {
    const auto path = dir / "missing.h5";
    std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
    edit_with_hdf5(path, [&](hid_t f) { ASSERT_GE(H5Ldelete(f, name.c_str(), H5P_DEFAULT), 0); });
    expect_silent([&] {
      EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                        "store '" + path.string() + "' is missing dataset '" + name +
                            "' (expected " + expected +
                            "): the file is damaged or was not written by gensweep");
    });
  }
  // A dataset of the wrong type or shape.
  const auto path = dir / "mistyped.h5";
  std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
  edit_with_hdf5(path, [](hid_t f) {
    H5Ldelete(f, "/valid", H5P_DEFAULT);
    const hsize_t dims[1] = {40};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t d =
        H5Dcreate2(f, "/valid", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(space);
  });
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                    "dataset '/valid' is float32 [40], expected uint8 [N]");
  // A missing unit size.
  std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
  edit_with_hdf5(path, [](hid_t f) {
    const hid_t d = H5Dopen2(f, "/progress", H5P_DEFAULT);
    H5Adelete(d, "unit_size");
    H5Dclose(d);
  });
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                    "dataset '/progress' lacks a positive 'unit_size' attribute");
}

TEST(StoreRobustness, DamagedDoneMap) {
  TempDir dir;
  const auto path = dir / "s.h5";
  make_complete_store(path);
  edit_with_hdf5(path, [](hid_t f) {
    const hid_t d = H5Dopen2(f, "/progress", H5P_DEFAULT);
    std::uint8_t values[5] = {1, 1, 7, 1, 1};
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(d);
  });
  EXPECT_THROW_WITH(
      FeatureStore::open_read(path), StoreError,
      "dataset '/progress' holds 7 for unit 2 (expected 0 or 1): the file is damaged");
}

}  // namespace
}  // namespace gensweep::store
