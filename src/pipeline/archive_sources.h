#pragma once
// What the archive-backed image sources (zip, tar, npz, hdf5) share. Private to the pipeline.
//
// Each lists its images once, at construction (a damaged container is an IoError naming the file
// then, before any work starts), and reads one image per load() by offset with pread on a file
// descriptor opened once: no per-call reopening, no shared cursor, so decode threads call load()
// concurrently without a lock. A bad member is a failed image (DecodeOutcome with a reason), never
// an exception.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../features/zip_reader.h"
#include "gensweep/core/error.h"
#include "gensweep/pipeline/image_source.h"

namespace gensweep::pipeline::detail {

// The most bytes one archive member may occupy once read (or inflated): 8 bytes per pixel of
// compute.max_image_pixels (a 16-bit RGBA PNG stored without compression, the largest encoding of
// an image the decoder would accept) plus 1 MiB for headers and metadata chunks. Checked against
// the member's declared size before anything is read, and again while inflating (declared sizes
// can lie), so a zip bomb costs at most this much memory per decode thread. max_pixels <= 0 (no
// limit) gives 2^40.
std::int64_t member_byte_limit(const io::DecodeLimits& limits);

io::DecodeOutcome failed_image(std::string reason);

// sha256 hex of `size` bytes of `file` at `offset`, read in 1 MiB steps (never more in memory), or
// "unreadable" when they are not all there: the digest of an archive member as it lies in the
// file, so fingerprinting never inflates anything (a bomb costs its compressed size to hash).
std::string sha256_of_range(const features::detail::InputFile& file, std::uint64_t offset,
                            std::uint64_t size);

// An ordered list of ids read from one or more container files. Subclasses fill ids_, labels_
// (optional) and description_, window them with apply_window, and implement load and
// content_digests.
class ListedSource : public ImageSource {
 public:
  std::int64_t size() const override { return static_cast<std::int64_t>(ids_.size()); }
  const std::string& id(std::int64_t index) const override { return ids_[index]; }
  std::string description() const override { return description_; }
  // sha256 over a source-specific tag, then "id \t digest \n" per image in order.
  std::string fingerprint_from(const std::vector<std::string>& digests) const override;
  // Images live inside a container file, not in files of their own: no per-file manifest entry,
  // so every run hashes the members again (a changed archive always changes the fingerprint).
  const io::ImageEntry* file_entry(std::int64_t) const override { return nullptr; }
  std::filesystem::path files_root() const override { return {}; }
  std::int64_t label(std::int64_t index) const override {
    return labels_.empty() ? -1 : labels_[index];
  }

 protected:
  explicit ListedSource(std::string fingerprint_tag)
      : fingerprint_tag_(std::move(fingerprint_tag)) {}
  // Keeps [offset, offset + limit) (limit < 0: to the end) of `items`, ids_ and labels_ (those not
  // empty; all the same length), appending " [images a..b of n]" to description_ when that is not
  // everything. Throws IoError when offset is past the end.
  template <typename T>
  void apply_window(std::vector<T>& items, std::int64_t offset, std::int64_t limit);

  std::vector<std::string> ids_;
  std::vector<std::int64_t> labels_;  // empty: no labels
  std::string description_;

 private:
  std::string fingerprint_tag_;
};

template <typename T>
void ListedSource::apply_window(std::vector<T>& items, std::int64_t offset, std::int64_t limit) {
  const auto total = static_cast<std::int64_t>(items.size());
  if (offset > total)
    throw IoError(fmt::format("{}: offset {} is past the {} images", description_, offset, total));
  const std::int64_t end = limit >= 0 ? std::min(total, offset + limit) : total;
  auto window = [&](auto& v) {
    if (v.empty()) return;
    v.erase(v.begin() + end, v.end());
    v.erase(v.begin(), v.begin() + offset);
  };
  window(items);
  window(ids_);
  window(labels_);
  if (offset > 0 || end < total)
    description_ += fmt::format(" [images {}..{} of {}]", offset, end - 1, total);
}

}  // namespace gensweep::pipeline::detail
