#pragma once
// Reading golden tensors from ../shared's HDF5 files in tests.

#include <hdf5.h>

#include <string>
#include <vector>

namespace gensweep::io::testing {

// A float32 dataset read whole, with its dimensions; empty data (and dims) when the file or the
// dataset cannot be read (the test then fails on the size, naming the dataset).
struct GoldenTensor {
  std::vector<hsize_t> dims;
  std::vector<float> data;
};
GoldenTensor read_float_dataset(const std::string& file, const std::string& name);

// The same for any numeric dataset read as float64 (exact for float64, float32 and uint8 data).
struct GoldenDoubles {
  std::vector<hsize_t> dims;
  std::vector<double> data;
};
GoldenDoubles read_double_dataset(const std::string& file, const std::string& name);

}  // namespace gensweep::io::testing
