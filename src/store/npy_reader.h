#pragma once
// Reader for NumPy's .npy format (versions 1.0, 2.0 and 3.0), as written by numpy.save:
//   magic "\x93NUMPY", major, minor, header length (uint16 LE for 1.x, uint32 LE for 2.x/3.x),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with
//   spaces and '\n' (ASCII for 1.x/2.x, UTF-8 for 3.x), then the raw array data.
// Only what features need is supported: 2-D, C order, little-endian float32 or float64.

#include "gensweep/core/matrix_view.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::store::detail {

struct NpyHeader {
  int major = 0;
  int minor = 0;
  std::string descr;  // e.g. "<f4"
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::int64_t data_offset = 0;  // bytes from the start of the file to the array data
};

// Parses the header dict text (without magic/version/length). Throws IoError prefixed by context.
NpyHeader parse_npy_header_dict(std::string_view text, const std::string& context);

// Reads a 2-D float32/float64 .npy file as float32. Throws IoError naming the file and the problem.
FeatureMatrix read_npy_features(const std::filesystem::path& path);

}  // namespace gensweep::store::detail
