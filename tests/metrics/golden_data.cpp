#include "golden_data.h"

#include <hdf5.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <vector>

#include "gensweep/core/sha256.h"
#include "test_util.h"

namespace gensweep::testing {
namespace {

// The files are little-endian; reading them as native floats needs a little-endian host.
static_assert(std::endian::native == std::endian::little);

FeatureMatrix read_raw_f32(const std::filesystem::path& path, const nlohmann::json& meta) {
  const auto rows = meta.at("shape").at(0).get<std::int64_t>();
  const auto cols = meta.at("shape").at(1).get<std::int64_t>();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (static_cast<std::int64_t>(bytes.size()) != rows * cols * 4)
    throw std::runtime_error(path.string() + ": size does not match its shape");
  const std::string digest = sha256_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (digest != meta.at("sha256").get<std::string>())
    throw std::runtime_error(path.string() + ": sha256 " + digest + " does not match");
  FeatureMatrix m(rows, cols);
  std::memcpy(m.values.data(), bytes.data(), bytes.size());
  return m;
}

// RAII for HDF5 ids, so a failed read closes what it opened.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

}  // namespace

GoldenCase load_golden_case(const std::string& name) {
  const auto dir = test_data_dir() / "golden" / name;
  GoldenCase c;
  c.expected = nlohmann::json::parse(read_text(dir / "expected_fd.json"));
  const auto& arrays = c.expected.at("arrays");
  c.real = read_raw_f32(dir / arrays.at("real").at("file").get<std::string>(), arrays.at("real"));
  c.fake = read_raw_f32(dir / arrays.at("fake").at("file").get<std::string>(), arrays.at("fake"));
  return c;
}

FeatureMatrix read_h5_features(const std::filesystem::path& file, const std::string& dataset) {
  H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (f.get() < 0) throw std::runtime_error("cannot open " + file.string());
  H5Id d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d.get() < 0) throw std::runtime_error(file.string() + ": no dataset " + dataset);
  H5Id space(H5Dget_space(d.get()), H5Sclose);
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 2 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2)
    throw std::runtime_error(file.string() + ": " + dataset + " is not 2-D");
  FeatureMatrix m(static_cast<std::int64_t>(dims[0]), static_cast<std::int64_t>(dims[1]));
  if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.values.data()) < 0)
    throw std::runtime_error(file.string() + ": cannot read " + dataset);
  return m;
}

std::vector<std::int64_t> read_h5_int64_vector(const std::filesystem::path& file,
                                               const std::string& dataset) {
  H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (f.get() < 0) throw std::runtime_error("cannot open " + file.string());
  H5Id d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d.get() < 0) throw std::runtime_error(file.string() + ": no dataset " + dataset);
  H5Id space(H5Dget_space(d.get()), H5Sclose);
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 1)
    throw std::runtime_error(file.string() + ": " + dataset + " is not 1-D");
  std::vector<std::int64_t> v(static_cast<std::size_t>(dims[0]));
  if (H5Dread(d.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw std::runtime_error(file.string() + ": cannot read " + dataset);
  return v;
}

std::vector<double> read_h5_doubles(const std::filesystem::path& file, const std::string& dataset) {
  H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (f.get() < 0) throw std::runtime_error("cannot open " + file.string());
  H5Id d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d.get() < 0) throw std::runtime_error(file.string() + ": no dataset " + dataset);
  H5Id space(H5Dget_space(d.get()), H5Sclose);
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 1)
    throw std::runtime_error(file.string() + ": " + dataset + " is not 1-D");
  std::vector<double> v(static_cast<std::size_t>(dims[0]));
  if (H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw std::runtime_error(file.string() + ": cannot read " + dataset);
  return v;
}

}  // namespace gensweep::testing
