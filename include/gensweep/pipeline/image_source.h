#pragma once
// Where a dataset's images come from. A source is an ordered list of ids with a loader; `load` is
// const and thread-safe (decode threads call it concurrently) and never throws for a bad image: the
// failure comes back in the DecodeOutcome and is recorded in the store.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gensweep/io/decode.h"
#include "gensweep/io/distortion.h"
#include "gensweep/io/folder_source.h"

namespace gensweep::pipeline {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual std::int64_t size() const = 0;
  virtual const std::string& id(std::int64_t index) const = 0;
  virtual io::DecodeOutcome load(std::int64_t index, const io::DecodeLimits& limits) const = 0;
  // "folder: /abs/path [offset 0, limit 423]", "derived: gaussian_blur(sigma=1) of clean"
  virtual std::string description() const = 0;
  // Per-image content digests (sha256 hex) for [begin, end): the ingredients of the fingerprint,
  // computed by whichever rank owns the slice.
  virtual std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const = 0;
  // Combines per-image digests (all of them, in order) into the dataset fingerprint.
  virtual std::string fingerprint_from(const std::vector<std::string>& digests) const = 0;
  // The file image `index` is read from, so that its digest can be remembered against the file's
  // stat record (input_digests.h); nullptr for images that come from no file of their own.
  virtual const io::ImageEntry* file_entry(std::int64_t index) const = 0;
  // The folder those files live in: the key of the input manifest shared by every dataset that
  // reads the folder (windows of it, distortions of them).
  virtual std::filesystem::path files_root() const = 0;
  // The image's class label when the source carries one (dataset.json of a zip, a tar sample's
  // `cls`, an npz batch's arr_1), else -1. Read and checked, not yet stored: no metric uses it.
  virtual std::int64_t label(std::int64_t /*index*/) const { return -1; }
};

// Images in a folder tree, sorted by relative path, optionally a window [offset, offset + limit).
std::shared_ptr<ImageSource> make_folder_source(const std::filesystem::path& root,
                                                std::int64_t offset, std::int64_t limit);
// A StyleGAN/EDM dataset zip (config::ZipSource): image members sorted bytewise by path.
std::shared_ptr<ImageSource> make_zip_source(const std::filesystem::path& archive,
                                             std::int64_t offset, std::int64_t limit);
// WebDataset tar shards (config::TarSource), uncompressed; `field` empty: first of png, jpg, jpeg,
// webp present in each sample.
std::shared_ptr<ImageSource> make_tar_source(const std::vector<std::filesystem::path>& shards,
                                             const std::string& field, std::int64_t offset,
                                             std::int64_t limit);
// ADM sample batches (config::NpzSource): stored arr_0 uint8 (N, H, W, 3), in file order.
std::shared_ptr<ImageSource> make_npz_source(const std::vector<std::filesystem::path>& files,
                                             std::int64_t offset, std::int64_t limit);
// A uint8 image array in an HDF5 file (config::Hdf5ImagesSource); `channels_last`: NHWC, else NCHW.
std::shared_ptr<ImageSource> make_hdf5_source(const std::filesystem::path& file,
                                              const std::string& dataset, bool channels_last,
                                              std::int64_t offset, std::int64_t limit);
// Where a derived dataset's distortion applies (config::Region): the pixels whose label, in the
// image of `labels` with the same id as the base image, is one of `values`.
struct LabelRegion {
  std::shared_ptr<ImageSource> labels;
  std::string labels_id;  // the label dataset's id, for descriptions and messages
  std::vector<int> values;
};

// Another source's images with a seeded distortion, computed on the fly (never written to disk).
// With a region, the distortion of the whole image is kept only inside it (io/region.h); every
// base id must have a label image (DataError naming the first that has none, when this is called:
// at planning, before any extraction). An image whose label image fails to decode or differs in
// size fails with a reason naming both ids (and sizes); it is recorded like a decode failure.
std::shared_ptr<ImageSource> make_derived_source(std::shared_ptr<ImageSource> base,
                                                 std::string base_id, io::Distortion distortion,
                                                 std::optional<LabelRegion> region = std::nullopt);

// A seeded draw from two sources whose images correspond by id (config::MixtureSource; the draw is
// pipeline/mixture_draw.h). Image i keeps its base id whichever source it is read from. Every
// drawn base id must have an image in `counterfactual`, whatever the proportion (so that every
// point of a proportion sweep is valid or none is): DataError naming the dataset and the id
// otherwise, when this is called. Files are remembered in the input manifest of the base's folder;
// counterfactual images are when they live in the same folder, and are hashed on every run
// otherwise.
std::shared_ptr<ImageSource> make_mixture_source(std::shared_ptr<ImageSource> base,
                                                 std::string base_id,
                                                 std::shared_ptr<ImageSource> counterfactual,
                                                 std::string counterfactual_id, double proportion,
                                                 std::int64_t size, std::uint64_t seed);

}  // namespace gensweep::pipeline
