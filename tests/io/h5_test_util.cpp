#include "h5_test_util.h"

namespace gensweep::io::testing {

namespace {

template <typename Tensor>
Tensor read_dataset(const std::string& file, const std::string& name, hid_t memory_type) {
  Tensor t;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return t;
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  if (d >= 0) {
    const hid_t space = H5Dget_space(d);
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank > 0) {
      t.dims.assign(static_cast<std::size_t>(rank), 0);
      H5Sget_simple_extent_dims(space, t.dims.data(), nullptr);
      hsize_t count = 1;
      for (hsize_t n : t.dims)
        count *= n;
      t.data.resize(count);
      if (H5Dread(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data.data()) < 0) {
        t.data.clear();
        t.dims.clear();
      }
    }
    H5Sclose(space);
    H5Dclose(d);
  }
  H5Fclose(f);
  return t;
}

}  // namespace

GoldenTensor read_float_dataset(const std::string& file, const std::string& name) {
  return read_dataset<GoldenTensor>(file, name, H5T_NATIVE_FLOAT);
}

GoldenDoubles read_double_dataset(const std::string& file, const std::string& name) {
  return read_dataset<GoldenDoubles>(file, name, H5T_NATIVE_DOUBLE);
}

}  // namespace gensweep::io::testing
