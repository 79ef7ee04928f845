#pragma once
// [[datasets]] entries: named, ordered image (or feature) collections.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gensweep/config/distortion.h"
#include "gensweep/config/source_location.h"

namespace gensweep::config {

// source = "folder": image files of a directory, in sorted relative-path order.
struct FolderSource {
  static constexpr std::string_view kName = "folder";
  std::filesystem::path path;         // required; absolute after loading; an existing directory
  std::int64_t offset = 0;            // >= 0: skip the first `offset` images of the sorted order
  std::optional<std::int64_t> limit;  // >= 1: take at most this many images; absent = all the rest
};

// source = "derived": the images of another image dataset with a distortion applied.
struct DerivedSource {
  static constexpr std::string_view kName = "derived";
  std::string base;        // required: id of a folder or derived dataset (no cycles)
  Distortion distortion;   // required
  std::uint64_t seed = 0;  // 0..2^63-1: seeds the random part of the distortion (if any)
};

// source = "features": features extracted elsewhere, for an `external` backbone.
enum class FeaturesFormat { kNpy, kHdf5 };
struct FeaturesSource {
  static constexpr std::string_view kName = "features";
  static constexpr std::string_view kDefaultHdf5Dataset = "/features";  // a gensweep store's layout
  std::filesystem::path file;  // required; absolute; an existing .npy, .h5 or .hdf5 file
  FeaturesFormat format = FeaturesFormat::kNpy;
  std::string hdf5_dataset;  // HDF5 only: absolute dataset path, "/features" by default
  std::string backbone;      // required: id of a backbone of kind "external"
};

// source = "statistics": a mean and covariance another tool wrote (pytorch-fid, clean-fid, EDM,
// ADM .npz; EDM2 pickles; torch-fidelity caches), in the feature space of `backbone`.
struct StatisticsSource {
  static constexpr std::string_view kName = "statistics";
  std::filesystem::path file;  // required; absolute; an existing file
  std::string backbone;        // required: id of the backbone whose feature space they are in
  std::string entry;           // which set, where a file holds several ("sfid", "fd_dinov2")
};

using DatasetSource = std::variant<FolderSource, DerivedSource, FeaturesSource, StatisticsSource>;

struct DatasetConfig {
  std::string id;  // a valid name, unique among datasets
  DatasetSource source;
  SourceLocation where;  // the [[datasets]] header

  // Every source but features and statistics holds images that backbones can be run on.
  bool has_images() const {
    return !std::holds_alternative<FeaturesSource>(source) &&
           !std::holds_alternative<StatisticsSource>(source);
  }
  // The backbone whose features or statistics a dataset gives (null for image datasets).
  const std::string* given_backbone() const;
};

// "folder", "derived", "features" or "statistics".
std::string_view source_name(const DatasetSource& source);

}  // namespace gensweep::config
