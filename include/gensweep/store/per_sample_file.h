#pragma once
// Per-sample results of one comparison (reference vs evaluated in one feature space): rarity,
// GIQA scores, realism, nearest reference index and distance, k-NN radii of the reference set.
// One small HDF5 file per comparison, layout in results_schema/STORE_LAYOUT.md ("Per-sample
// results"):
//
//   /<name>      1-D float64 or int64 datasets, one value per evaluated sample in the order of
//                the evaluated set's valid rows ("reference_*": per reference sample)
//   attributes   UTF-8 strings: format, format_version, reference, evaluated, backbone, and
//                whatever the caller adds (metric parameters, store paths)
//
// Written to a temporary name, flushed and renamed, so a crash never leaves a half-written file
// under the final name.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gensweep::store {

inline constexpr const char* kPerSampleFormat = "gensweep-per-sample";
inline constexpr int kPerSampleFormatVersion = 1;

struct PerSampleData {
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::vector<double>> reals;
  std::map<std::string, std::vector<std::int64_t>> integers;
};

// Dataset names must be non-empty [A-Za-z0-9_]+ and unique across reals and integers.
void write_per_sample_file(const std::filesystem::path& path, const PerSampleData& data);

// Reads every dataset and attribute back; StoreError naming the file for anything else than a
// per-sample file of a version this build understands.
PerSampleData read_per_sample_file(const std::filesystem::path& path);

}  // namespace gensweep::store
