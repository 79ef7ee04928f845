#pragma once
// Loading the golden cases: the small ones copied into tests/data/golden (raw float32 arrays and
// expected_fd.json, see tests/data/golden/convert_golden.py), the large ones straight from
// ../shared/golden/<case>/data.h5.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::testing {

struct GoldenCase {
  FeatureMatrix real;
  FeatureMatrix fake;
  nlohmann::json expected;  // expected_fd.json: shapes, sha256, and the `fd` section verbatim
};

// tests/data/golden/<name>; checks each array's size and sha256 against the JSON.
GoldenCase load_golden_case(const std::string& name);

// A 2-D float32 dataset of an HDF5 file.
FeatureMatrix read_h5_features(const std::filesystem::path& file, const std::string& dataset);

// A 1-D float64 dataset of an HDF5 file (per-sample expected values).
std::vector<double> read_h5_doubles(const std::filesystem::path& file, const std::string& dataset);

// A 1-D integer dataset of an HDF5 file (e.g. a stored permutation), as int64.
std::vector<std::int64_t> read_h5_int64_vector(const std::filesystem::path& file,
                                               const std::string& dataset);

}  // namespace gensweep::testing
