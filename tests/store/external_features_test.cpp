#include "gensweep/store/external_features.h"

#include "gensweep/core/error.h"

#include "store_test_util.h"
#include "test_util.h"

#include <fmt/format.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <fstream>

namespace gensweep::store {
namespace {

using gensweep::store::testing::have_python_h5py;
using gensweep::store::testing::run_python;
using gensweep::testing::TempDir;

// Builds a .npy file the way numpy.save does (header padded so the data starts 64-byte aligned).
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const auto length = static_cast<std::uint32_t>(header.size());
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += static_cast<char>((length >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::filesystem::path write_file(const TempDir& dir, const std::string& name,
                                 const std::string& bytes) {
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

const std::vector<float> kValues = {0.5f, -1.25f, 3.0f, 1e-20f, 7.0f, -0.0f};  // 2 x 3

TEST(ExternalFeatures, NpyVersionsOneTwoThreeFloat32) {
  TempDir dir;
  for (int major : {1, 2, 3}) {
    const auto path =
        write_file(dir, fmt::format("v{}.npy", major),
                   npy_bytes(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                             raw(kValues)));
    const FeatureMatrix m = load_external_features(path.string());
    EXPECT_EQ(m.rows, 2);
    EXPECT_EQ(m.cols, 3);
    EXPECT_EQ(std::memcmp(m.values.data(), kValues.data(), 24), 0) << "version " << major;
  }
}

TEST(ExternalFeatures, NpyFloat64IsRoundedToNearestFloat32) {
  TempDir dir;
  const std::vector<double> values = {1.0 / 3.0, -2.5, 1e300, 0.1};
  const auto path = write_file(
      dir, "f8.NPY",
      npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", raw(values)));
  const FeatureMatrix m = load_external_features(path.string());
  ASSERT_EQ(m.values.size(), 4u);
  EXPECT_EQ(m.values[0], static_cast<float>(1.0 / 3.0));
  EXPECT_EQ(m.values[1], -2.5f);
  EXPECT_TRUE(std::isinf(m.values[2]));
  EXPECT_EQ(m.values[3], 0.1f);
}

TEST(ExternalFeatures, NpyHeaderVariants) {
  TempDir dir;
  // Keys in another order, double quotes, Python 2 long suffixes, no trailing comma.
  const auto path =
      write_file(dir, "odd.npy",
                 npy_bytes(1, "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}",
                           raw(kValues)));
  EXPECT_EQ(load_external_features(path.string()).cols, 3);
  const auto empty =
      write_file(dir, "empty.npy",
                 npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", ""));
  const FeatureMatrix m = load_external_features(empty.string());
  EXPECT_EQ(m.rows, 0);
  EXPECT_EQ(m.cols, 5);
}

TEST(ExternalFeatures, NpyErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  const auto check = [&](const std::string& name, const std::string& bytes,
                         const std::string& message) {
    const auto path = write_file(dir, name, bytes);
    EXPECT_THROW_WITH(load_external_features(path.string()), IoError,
                      "external features '" + path.string() + "': " + message);
  };
  check("fortran.npy",
        npy_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", raw(kValues)),
        "array is stored in Fortran (column-major) order; save it in C order "
        "(numpy.save(path, numpy.ascontiguousarray(arr)))");
  check("truncated.npy",
        npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                  raw(kValues).substr(0, 20)),
        "truncated .npy file: shape (2, 3) float32 needs 24 bytes of data, the file holds 20");
  check("rank1.npy",
        npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", raw(kValues)),
        "array has shape (6,) (1-D); expected a 2-D (N, D) array");
  check(
      "rank3.npy",
      npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", raw(kValues)),
      "array has shape (1, 2, 3) (3-D); expected a 2-D (N, D) array");
  check("int.npy",
        npy_bytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", raw(kValues)),
        "unsupported dtype '<i4': expected float32 '<f4' or float64 '<f8' (convert with "
        "arr.astype(numpy.float32))");
  check("big.npy",
        npy_bytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", raw(kValues)),
        "unsupported dtype '>f4' (big-endian; convert with");
  check("half.npy",
        npy_bytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", raw(kValues)),
        "unsupported dtype '<f2'");
  check("structured.npy",
        npy_bytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }",
                  raw(kValues)),
        "unsupported dtype '[('a', '<f4')]'");
  check("garbage.npy", "this is not numpy at all",
        "not a NumPy .npy array (missing the \\x93NUMPY magic)");
  check("version9.npy", std::string("\x93NUMPY\x09\x00\x10\x00", 10) + std::string(16, ' '),
        "unsupported .npy format version 9.0 (known: 1.0, 2.0, 3.0)");
  check("short-header.npy", std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 17),
        "truncated .npy header: it declares 265 bytes, 17 are there");
  check("malformed.npy",
        npy_bytes(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }", ""),
        "malformed .npy header at character 34: unsupported value");
  check("no-shape.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, }", ""),
        ".npy header lacks 'shape'");
  EXPECT_THROW_WITH(
      load_external_features((dir / "absent.npy").string()), IoError,
      "external features '" + (dir / "absent.npy").string() + "': file does not exist");
}

TEST(ExternalFeatures, NpyWrittenByNumpy) {
  if (!have_python_h5py()) GTEST_SKIP() << "needs /usr/bin/python3 with numpy";
  TempDir dir;
  ASSERT_EQ(run_python(dir.path(), R"(
import numpy as np, sys, os
d = os.path.dirname(sys.argv[0])
x = (np.arange(12, dtype=np.float64).reshape(4, 3) / 7.0)
np.save(os.path.join(d, 'a.npy'), x.astype(np.float32))
np.save(os.path.join(d, 'b.npy'), x)
with open(os.path.join(d, 'v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, x.astype(np.float32), version=(2, 0))
with open(os.path.join(d, 'v3.npy'), 'wb') as f:
    np.lib.format.write_array(f, x.astype(np.float32), version=(3, 0))
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(x.astype(np.float32)))
)"),
            0);
  for (const char* name : {"a.npy", "b.npy", "v2.npy", "v3.npy"}) {
    const FeatureMatrix m = load_external_features((dir / name).string());
    ASSERT_EQ(m.rows, 4) << name;
    ASSERT_EQ(m.cols, 3) << name;
    for (int i = 0; i < 12; ++i)
      EXPECT_EQ(m.values[i], static_cast<float>(i / 7.0)) << name;
  }
  EXPECT_THROW_WITH(load_external_features((dir / "fortran.npy").string()), IoError,
                    "Fortran (column-major) order");
}

// ---- HDF5
// ----------------------------------------------------------------------------------------

void write_h5_dataset(hid_t file, const char* name, hid_t file_type, hid_t memory_type,
                      std::vector<hsize_t> dims, const void* data) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t dataset = H5Dcreate2(file, name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dataset);
  H5Pclose(lcpl);
  H5Sclose(space);
}

std::filesystem::path make_h5(const TempDir& dir) {
  const auto path = dir / "feats.h5";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const std::vector<double> doubles = {1.0 / 3.0, 2.0, -3.5, 1e-3, 5.0, 6.0};
  const std::vector<int> ints = {1, 2, 3, 4, 5, 6};
  write_h5_dataset(file, "/f32", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 3}, kValues.data());
  write_h5_dataset(file, "/f32be", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, {2, 3}, kValues.data());
  write_h5_dataset(file, "/f64", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3, 2}, doubles.data());
  write_h5_dataset(file, "/group/nested/feats", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {3, 2},
                   kValues.data());
  write_h5_dataset(file, "/ints", H5T_STD_I32LE, H5T_NATIVE_INT, {2, 3}, ints.data());
  write_h5_dataset(file, "/vector", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {6}, kValues.data());
  H5Fclose(file);
  return path;
}

TEST(ExternalFeatures, Hdf5Float32Float64AndNestedPaths) {
  TempDir dir;
  const auto path = make_h5(dir);
  for (const char* name : {"/f32", "/f32be", "f32"}) {
    const FeatureMatrix m = load_external_features(path.string() + ":" + name);
    EXPECT_EQ(m.rows, 2);
    EXPECT_EQ(m.cols, 3);
    EXPECT_EQ(std::memcmp(m.values.data(), kValues.data(), 24), 0) << name;
  }
  const FeatureMatrix d = load_external_features(path.string() + ":/f64");
  EXPECT_EQ(d.rows, 3);
  EXPECT_EQ(d.values[0], static_cast<float>(1.0 / 3.0));
  EXPECT_EQ(d.values[3], 1e-3f);
  EXPECT_EQ(load_external_features(path.string() + ":/group/nested/feats").rows, 3);
}

TEST(ExternalFeatures, Hdf5ErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  const auto path = make_h5(dir);
  const std::string prefix = "external features '" + path.string();
  ::testing::internal::CaptureStderr();
  EXPECT_THROW_WITH(load_external_features(path.string() + ":/missing"), IoError,
                    prefix +
                        ":/missing': no dataset '/missing' in the file (top-level names: "
                        "/f32, /f32be, /f64, /group/, /ints, /vector)");
  EXPECT_THROW_WITH(load_external_features(path.string() + ":/group/absent/x"), IoError,
                    "no dataset '/group/absent/x' in the file");
  EXPECT_THROW_WITH(load_external_features(path.string() + ":/group"), IoError,
                    prefix + ":/group': '/group' is a group, not a dataset");
  EXPECT_THROW_WITH(load_external_features(path.string() + ":/ints"), IoError,
                    prefix + ":/ints': dataset has dtype integer32; expected float32 or float64");
  EXPECT_THROW_WITH(load_external_features(path.string() + ":/vector"), IoError,
                    prefix + ":/vector': dataset is 1-D [6]; expected 2-D [N x D]");
  EXPECT_THROW_WITH(load_external_features(path.string()), IoError,
                    "name the dataset inside the HDF5 file, as '" + path.string() +
                        ":/path/to/dataset' (top-level names: /f32,");
  const auto absent = dir / "absent.h5";
  EXPECT_THROW_WITH(load_external_features(absent.string() + ":/x"), IoError,
                    "file '" + absent.string() + "' does not exist");
  const auto text = dir / "text.h5";
  std::ofstream(text) << "not hdf5";
  EXPECT_THROW_WITH(load_external_features(text.string() + ":/x"), IoError,
                    "cannot open '" + text.string() + "' as an HDF5 file (HDF5: ");
  EXPECT_THROW_WITH(load_external_features("features.csv"), IoError,
                    "expected a NumPy file 'name.npy' or an HDF5 dataset");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ExternalFeatures, Hdf5WrittenByH5pyWithCompression) {
  if (!have_python_h5py()) GTEST_SKIP() << "needs /usr/bin/python3 with h5py and numpy";
  TempDir dir;
  ASSERT_EQ(run_python(dir.path(), R"(
import h5py, numpy as np, sys, os
d = os.path.dirname(sys.argv[0])
x = (np.arange(2048 * 10, dtype=np.float64).reshape(10, 2048) / 9.0)
with h5py.File(os.path.join(d, 'torch-fidelity.h5'), 'w') as f:
    f.create_dataset('inception/pool3', data=x, compression='gzip', chunks=(3, 512))
)"),
            0);
  const FeatureMatrix m =
      load_external_features((dir / "torch-fidelity.h5").string() + ":/inception/pool3");
  ASSERT_EQ(m.rows, 10);
  ASSERT_EQ(m.cols, 2048);
  EXPECT_EQ(m.values[2048 * 9 + 7], static_cast<float>((2048 * 9 + 7) / 9.0));
}

}  // namespace
}  // namespace gensweep::store
