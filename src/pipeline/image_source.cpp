#include "gensweep/pipeline/image_source.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "source_composition.h"

namespace gensweep::pipeline {
namespace {

class FolderSource final : public ImageSource {
 public:
  FolderSource(const std::filesystem::path& root, std::int64_t offset, std::int64_t limit)
      : root_(std::filesystem::absolute(root).lexically_normal()) {
    auto all = io::list_image_folder(root_);
    const auto total = static_cast<std::int64_t>(all.size());
    GENSWEEP_CHECK(offset >= 0 && offset <= total, IoError,
                   "{}: offset {} is past the {} images in the folder", root_.string(), offset,
                   total);
    std::int64_t end = limit >= 0 ? std::min(total, offset + limit) : total;
    entries_.assign(all.begin() + offset, all.begin() + end);
    description_ = fmt::format("folder: {}", root_.string());
    if (offset > 0 || end < total) {
      description_ += fmt::format(" [images {}..{} of {}]", offset, end - 1, total);
    }
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(entries_.size()); }
  const std::string& id(std::int64_t i) const override { return entries_[i].id; }
  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    std::vector<std::uint8_t> bytes;
    try {
      bytes = io::read_file_bytes(entries_[i].path);
    } catch (const Error& e) {
      io::DecodeOutcome out;
      out.reason = e.what();
      return out;
    }
    return io::decode_image(bytes, limits);
  }
  std::string description() const override { return description_; }
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    for (std::int64_t i = begin; i < end; ++i) {
      try {
        out.push_back(sha256_file_hex(entries_[i].path));
      } catch (const Error&) {
        out.push_back("unreadable");  // the extraction records the reason per image
      }
    }
    return out;
  }
  std::string fingerprint_from(const std::vector<std::string>& digests) const override {
    Sha256 h;
    h.update("gensweep-folder-fingerprint/v1\n");
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      h.update(entries_[i].id);
      h.update("\t");
      h.update(digests[i]);
      h.update("\n");
    }
    return h.hex_digest();
  }
  const io::ImageEntry* file_entry(std::int64_t i) const override { return &entries_[i]; }
  std::filesystem::path files_root() const override { return root_; }

 private:
  std::filesystem::path root_;
  std::vector<io::ImageEntry> entries_;
  std::string description_;
};

class DerivedSource final : public ImageSource {
 public:
  DerivedSource(std::shared_ptr<ImageSource> base, std::string base_id, io::Distortion d)
      : base_(std::move(base)), base_id_(std::move(base_id)), distortion_(d) {}
  std::int64_t size() const override { return base_->size(); }
  const std::string& id(std::int64_t i) const override { return base_->id(i); }
  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    io::DecodeOutcome out = base_->load(i, limits);
    if (out.ok)
      out.image = io::apply_distortion(out.image, distortion_, static_cast<std::uint64_t>(i));
    return out;
  }
  std::string description() const override {
    return fmt::format("derived: {} seed {} of {}", io::describe(distortion_), distortion_.seed,
                       base_id_);
  }
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    return base_->content_digests(begin, end);
  }
  // The base's content plus the exact distortion: the images are a function of both.
  std::string fingerprint_from(const std::vector<std::string>& digests) const override {
    // A tag of the implementation only where it changed, so other derived stores stay valid.
    const std::string tag = io::implementation_tag(distortion_);
    return sha256_hex(fmt::format("gensweep-derived-fingerprint/v1\n{}\n{}\nseed={}\n{}",
                                  base_->fingerprint_from(digests), io::describe(distortion_),
                                  distortion_.seed, tag.empty() ? "" : tag + "\n"));
  }
  const io::ImageEntry* file_entry(std::int64_t i) const override { return base_->file_entry(i); }
  std::filesystem::path files_root() const override { return base_->files_root(); }

 private:
  std::shared_ptr<ImageSource> base_;
  std::string base_id_;
  io::Distortion distortion_;
};

}  // namespace

std::shared_ptr<ImageSource> make_folder_source(const std::filesystem::path& root,
                                                std::int64_t offset, std::int64_t limit) {
  return std::make_shared<FolderSource>(root, offset, limit);
}

std::shared_ptr<ImageSource> make_derived_source(std::shared_ptr<ImageSource> base,
                                                 std::string base_id, io::Distortion distortion,
                                                 std::optional<LabelRegion> region) {
  if (region)
    return detail::make_region_source(std::move(base), std::move(base_id), distortion,
                                      std::move(*region));
  return std::make_shared<DerivedSource>(std::move(base), std::move(base_id), distortion);
}

}  // namespace gensweep::pipeline
