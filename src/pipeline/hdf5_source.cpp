// source = "hdf5": a uint8 (N, H, W, 3) or (N, 3, H, W) array in an HDF5 file.
//
// The store module checks the dataset and finds where its contiguous bytes lie
// (store::locate_hdf5_images); each load is then one pread of the image's 3*H*W bytes. No HDF5
// call happens during extraction: the HDF5 build is not thread-safe, the extraction writes stores
// on one thread while decode threads call load(), and a lock private to this source could not
// serialise those against the store's own calls.

#include <fmt/format.h>

#include "../features/zip_reader.h"
#include "archive_sources.h"
#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/store/external_features.h"

namespace gensweep::pipeline {
namespace {

class Hdf5Source final : public detail::ListedSource {
 public:
  Hdf5Source(const std::filesystem::path& file, const std::string& dataset, bool channels_last,
             std::int64_t offset, std::int64_t limit)
      : ListedSource("gensweep-hdf5-fingerprint/v1"),
        path_(std::filesystem::absolute(file).lexically_normal()),
        array_(store::locate_hdf5_images(path_, dataset, channels_last)) {
    GENSWEEP_CHECK(array_.count > 0, IoError, "HDF5 images '{}:{}': the dataset holds no images",
                   path_.string(), dataset);
    file_ = std::make_unique<features::detail::InputFile>(path_);
    const auto bytes = image_bytes() * static_cast<std::uint64_t>(array_.count);
    GENSWEEP_CHECK(array_.file_offset + bytes <= file_->size(), IoError,
                   "HDF5 images '{}:{}': truncated: the pixels need bytes {}..{} but the file "
                   "ends at byte {}",
                   path_.string(), dataset, array_.file_offset, array_.file_offset + bytes,
                   file_->size());
    std::vector<std::int64_t> indices;
    for (std::int64_t i = 0; i < array_.count; ++i) {
      indices.push_back(i);
      ids_.push_back(std::to_string(i));  // the array index: the dataset's own order
    }
    description_ =
        fmt::format("hdf5: {}:{} ({})", path_.string(), dataset, channels_last ? "NHWC" : "NCHW");
    apply_window(indices, offset, limit);
    indices_ = std::move(indices);
  }

  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    io::DecodeOutcome out;
    const std::int64_t pixels = array_.width * array_.height;
    if (limits.max_pixels > 0 && pixels > limits.max_pixels) {
      out.reason = fmt::format("{}x{} = {} px exceeds max_pixels {}", array_.width, array_.height,
                               pixels, limits.max_pixels);
      return out;
    }
    if (!read_rgb(indices_[i], out.image.rgb, out.reason)) return out;
    out.image.width = static_cast<int>(array_.width);
    out.image.height = static_cast<int>(array_.height);
    out.ok = true;
    return out;
  }

  // sha256 of each image's pixels as load() returns them (HWC RGB, whatever the layout on disk).
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    std::vector<std::uint8_t> rgb;
    std::string reason;
    for (std::int64_t i = begin; i < end; ++i)
      out.push_back(read_rgb(indices_[i], rgb, reason) ? sha256_hex(rgb) : "unreadable");
    return out;
  }

 private:
  std::uint64_t image_bytes() const {
    return static_cast<std::uint64_t>(array_.width * array_.height * 3);
  }

  bool read_rgb(std::int64_t index, std::vector<std::uint8_t>& rgb, std::string& reason) const {
    const std::uint64_t bytes = image_bytes();
    std::vector<std::uint8_t> raw(static_cast<std::size_t>(bytes));
    try {
      file_->read_at(array_.file_offset + static_cast<std::uint64_t>(index) * bytes, raw.data(),
                     raw.size(), fmt::format("image {}", index));
    } catch (const Error& e) {
      reason = fmt::format("{}: {}", path_.string(), e.what());
      return false;
    }
    if (array_.channels_last) {
      rgb = std::move(raw);
      return true;
    }
    // NCHW: three planes to interleaved RGB.
    const std::size_t plane = static_cast<std::size_t>(array_.width * array_.height);
    rgb.resize(raw.size());
    for (std::size_t p = 0; p < plane; ++p)
      for (std::size_t c = 0; c < 3; ++c)
        rgb[p * 3 + c] = raw[c * plane + p];
    return true;
  }

  std::filesystem::path path_;
  store::Hdf5ImageArray array_;
  std::unique_ptr<features::detail::InputFile> file_;
  std::vector<std::int64_t> indices_;
};

}  // namespace

std::shared_ptr<ImageSource> make_hdf5_source(const std::filesystem::path& file,
                                              const std::string& dataset, bool channels_last,
                                              std::int64_t offset, std::int64_t limit) {
  return std::make_shared<Hdf5Source>(file, dataset, channels_last, offset, limit);
}

}  // namespace gensweep::pipeline
