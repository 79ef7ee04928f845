#pragma once
// [[datasets]] entries: named, ordered image (or feature) collections.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

// source = "zip": a StyleGAN/EDM dataset archive (dataset_tool.py): image members at any depth,
// sorted bytewise by member path (the id); labels from a root dataset.json when it has them.
struct ZipSource {
  static constexpr std::string_view kName = "zip";
  std::filesystem::path path;         // required; absolute; an existing file
  std::int64_t offset = 0;            // >= 0: skip the first `offset` images of the sorted order
  std::optional<std::int64_t> limit;  // >= 1: take at most this many images; absent = all the rest
};

// source = "tar": WebDataset shards, read in the order listed; samples in member order.
struct TarSource {
  static constexpr std::string_view kName = "tar";
  // required: the shard files, absolute, after expanding brace ranges ("a-{000..012}.tar",
  // numerically, keeping the zero-padded width) and glob patterns (matches sorted bytewise).
  std::vector<std::filesystem::path> shards;
  std::string field;                  // the image field ("png", "jpg", ...); empty: first present
  std::int64_t offset = 0;            // >= 0, as for folders
  std::optional<std::int64_t> limit;  // >= 1, as for folders
};

// source = "npz": ADM / guided-diffusion sample batches (np.savez(f, images[, labels])): stored
// member arr_0, uint8 (N, H, W, 3) in C order; several files form one dataset in the order listed.
struct NpzSource {
  static constexpr std::string_view kName = "npz";
  std::vector<std::filesystem::path> files;  // required, non-empty; absolute; existing files
  std::int64_t offset = 0;                   // >= 0, as for folders
  std::optional<std::int64_t> limit;         // >= 1, as for folders
};

// source = "hdf5": a uint8 image array inside an HDF5 file.
enum class PixelLayout { kNhwc, kNchw };
struct Hdf5ImagesSource {
  static constexpr std::string_view kName = "hdf5";
  std::filesystem::path file;  // required; absolute; an existing file
  std::string dataset;         // required; absolute dataset path inside the file ("/images")
  PixelLayout layout = PixelLayout::kNhwc;  // required in the file: never guessed from the shape
  std::int64_t offset = 0;                  // >= 0, as for folders
  std::optional<std::int64_t> limit;        // >= 1, as for folders
};

// Where a derived dataset's distortion applies: only the pixels whose label is among `values` in
// the label image of `mask` with the same id; elsewhere the base image is kept.
struct Region {
  std::string mask;         // required: id of an image dataset of label images (ids as the base's)
  std::vector<int> values;  // required, non-empty, each 0..255, no repeats
};

// source = "derived": the images of another image dataset with a distortion applied.
struct DerivedSource {
  static constexpr std::string_view kName = "derived";
  std::string base;              // required: id of an image dataset (no cycles)
  Distortion distortion;         // required
  std::uint64_t seed = 0;        // 0..2^63-1: seeds the random part of the distortion (if any)
  std::optional<Region> region;  // TOML: region = { mask = "labels", values = [1, 2] }
};

// source = "mixture": a set drawn from two image datasets whose images correspond by id.
struct MixtureSource {
  static constexpr std::string_view kName = "mixture";
  std::string base;            // required: id of an image dataset
  std::string counterfactual;  // required: id of an image dataset with an image for each base id
  double proportion = 0;       // required, 0..1: share of the set taken from `counterfactual`
  std::int64_t size = 0;       // required, >= 1 (<= number of base images)
  std::uint64_t seed = 0;      // 0..2^63-1: which draw
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

using DatasetSource =
    std::variant<FolderSource, DerivedSource, FeaturesSource, StatisticsSource, ZipSource,
                 TarSource, NpzSource, Hdf5ImagesSource, MixtureSource>;

struct DatasetConfig {
  std::string id;  // a valid name, unique among datasets
  DatasetSource source;
  SourceLocation where;  // the [[datasets]] header, or the [[studies]] header that made it
  std::string study;     // the study that generated this dataset; empty for the file's own

  // Every source but features and statistics holds images that backbones can be run on.
  bool has_images() const {
    return !std::holds_alternative<FeaturesSource>(source) &&
           !std::holds_alternative<StatisticsSource>(source);
  }
  // The backbone whose features or statistics a dataset gives (null for image datasets).
  const std::string* given_backbone() const;
  // The other datasets this one is made from, in the order its keys list them: a derived
  // dataset's base (and region mask), a mixture's base and counterfactual.
  std::vector<std::string> ingredients() const;
};

// "folder", "derived", "features", "statistics", "zip", "tar", "npz", "hdf5" or "mixture".
std::string_view source_name(const DatasetSource& source);
// "NHWC" or "NCHW".
std::string_view pixel_layout_name(PixelLayout layout);

// The image source a path names on the command line (`gensweep compare REF EVAL`): a directory is
// a folder; "x.zip" a zip archive; "x.tar" or a brace/glob pattern of them WebDataset shards;
// "x.npz" an ADM sample batch; "x.h5:/images" (or .hdf5) an NHWC uint8 HDF5 dataset. Relative
// paths are resolved against `base_dir`. Throws UsageError naming the path when it is none of
// these. Decided by the name alone: what is inside (a statistics .npz, say) is checked by the
// caller.
DatasetSource dataset_source_for_path(const std::string& text,
                                      const std::filesystem::path& base_dir);
// Brace ranges ("{000000..000012}", numeric, width of the wider bound kept when zero-padded) and
// glob patterns expanded, in order; a pattern whose glob matches nothing is returned as written
// when `keep_unmatched`, else dropped.
std::vector<std::filesystem::path> expand_shard_pattern(const std::filesystem::path& pattern,
                                                        bool keep_unmatched);

}  // namespace gensweep::config
