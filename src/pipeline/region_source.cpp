// A derived dataset whose distortion applies inside a labelled region only (config::Region).

#include <fmt/format.h>

#include <algorithm>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/io/region.h"
#include "source_composition.h"

namespace gensweep::pipeline::detail {
namespace {

std::string values_text(const std::vector<int>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += fmt::format("{}{}", i ? "," : "", values[i]);
  return out;
}

class RegionSource final : public ImageSource {
 public:
  RegionSource(std::shared_ptr<ImageSource> base, std::string base_id, io::Distortion distortion,
               LabelRegion region)
      : base_(std::move(base)),
        base_id_(std::move(base_id)),
        distortion_(distortion),
        region_(std::move(region)),
        label_set_(io::make_label_set(region_.values)) {
    // A set: one order, so [2, 1] and [1, 2] describe (and fingerprint) one dataset.
    std::sort(region_.values.begin(), region_.values.end());
    // Matched once, by id, so a missing label image stops the job before any extraction.
    const auto labels_by_id = index_by_id(*region_.labels);
    label_index_.reserve(static_cast<std::size_t>(base_->size()));
    for (std::int64_t i = 0; i < base_->size(); ++i) {
      const auto it = labels_by_id.find(base_->id(i));
      GENSWEEP_CHECK(it != labels_by_id.end(), DataError,
                     "region mask \"{}\" has no label image with id \"{}\" (image {} of \"{}\")",
                     region_.labels_id, base_->id(i), i, base_id_);
      label_index_.push_back(it->second);
    }
  }

  std::int64_t size() const override { return base_->size(); }
  const std::string& id(std::int64_t i) const override { return base_->id(i); }

  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    io::DecodeOutcome out = base_->load(i, limits);
    if (!out.ok) return out;
    const std::int64_t l = label_index_[static_cast<std::size_t>(i)];
    io::DecodeOutcome labels = region_.labels->load(l, limits);
    if (!labels.ok) {
      return failed(fmt::format("label image \"{}\" of \"{}\" cannot be read: {}",
                                region_.labels->id(l), region_.labels_id, labels.reason));
    }
    if (labels.image.width != out.image.width || labels.image.height != out.image.height) {
      return failed(fmt::format(
          "image \"{}\" of \"{}\" is {} x {} but its label image \"{}\" of \"{}\" is {} x {}",
          base_->id(i), base_id_, out.image.width, out.image.height, region_.labels->id(l),
          region_.labels_id, labels.image.width, labels.image.height));
    }
    // The distortion of the whole image, as the same derived dataset without a region computes
    // it (same index, same seed), then kept inside the region only.
    const io::Image distorted =
        io::apply_distortion(out.image, distortion_, static_cast<std::uint64_t>(i));
    out.image = io::composite_in_region(out.image, distorted, labels.image, label_set_);
    return out;
  }

  std::string description() const override {
    return fmt::format("derived: {} seed {} of {} in region {}[{}]", io::describe(distortion_),
                       distortion_.seed, base_id_, region_.labels_id, values_text(region_.values));
  }
  // The base's digests: those are what file_entry's files hold, so the input manifest stays true.
  // The label images enter through fingerprint_from.
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    return base_->content_digests(begin, end);
  }
  // Base content, distortion, region values, and every label image used. Label images are hashed
  // here, on the rank combining the digests, on every run: they are small next to the images
  // (and have no manifest of their own unless their folder holds images of a store).
  std::string fingerprint_from(const std::vector<std::string>& digests) const override {
    std::vector<std::string> label_digests;
    label_digests.reserve(label_index_.size());
    for (const std::int64_t l : label_index_)
      label_digests.push_back(region_.labels->content_digests(l, l + 1).front());
    const std::string tag = io::implementation_tag(distortion_);
    return sha256_hex(
        fmt::format("gensweep-region-fingerprint/v1\n{}\n{}\nseed={}\n{}region={}[{}]\n{}\n",
                    base_->fingerprint_from(digests), io::describe(distortion_), distortion_.seed,
                    tag.empty() ? "" : tag + "\n", region_.labels_id, values_text(region_.values),
                    partial_fingerprint(*region_.labels, label_index_, label_digests)));
  }
  const io::ImageEntry* file_entry(std::int64_t i) const override { return base_->file_entry(i); }
  std::filesystem::path files_root() const override { return base_->files_root(); }
  std::int64_t label(std::int64_t i) const override { return base_->label(i); }

 private:
  static io::DecodeOutcome failed(std::string reason) {
    io::DecodeOutcome out;
    out.reason = std::move(reason);
    return out;
  }

  std::shared_ptr<ImageSource> base_;
  std::string base_id_;
  io::Distortion distortion_;
  LabelRegion region_;
  io::LabelSet label_set_;
  std::vector<std::int64_t> label_index_;  // per base image: its label image's index
};

}  // namespace

std::shared_ptr<ImageSource> make_region_source(std::shared_ptr<ImageSource> base,
                                                std::string base_id, io::Distortion distortion,
                                                LabelRegion region) {
  return std::make_shared<RegionSource>(std::move(base), std::move(base_id), distortion,
                                        std::move(region));
}

}  // namespace gensweep::pipeline::detail
