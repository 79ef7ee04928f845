// source = "zip": StyleGAN / EDM dataset archives (dataset_tool.py).
//
// Why our own reader over the central directory (features/zip_reader.h, written and hardened for
// torch checkpoints: ZIP64, every offset bounds-checked) rather than libarchive or libzip:
// - load(index) must be O(1) and concurrent. libarchive reads a zip as a stream of entries and
//   has no "seek to entry i", so each load would reopen and walk the archive (O(N) per image);
//   libzip's zip_t may not be shared between threads, so it would need one handle (and one copy
//   of the central directory) per thread. Here the directory is read once and every load is a
//   pread of one member at its offset on a shared descriptor.
// - Bombs are bounded by us, not by the library: the declared size is checked against the member
//   limit before reading, and inflation (zlib raw deflate, the one codec dataset zips use besides
//   "stored") writes into a buffer of exactly the declared size, failing the moment the stream
//   produces more, so a lying header cannot make us allocate or inflate past the limit.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "../features/zip_reader.h"
#include "archive_sources.h"
#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/strings.h"
#include "gensweep/io/folder_source.h"
#include "zip_members.h"

namespace gensweep::pipeline {
namespace {

using features::detail::ZipEntry;

// dataset.json is a list of names and labels: 64 bytes per image is generous, 256 MiB is
// millions of images.
constexpr std::uint64_t kMaxDatasetJsonBytes = 256u << 20;

// A member StyleGAN/EDM would load as an image: not a directory, no hidden path component, an
// extension gensweep decodes (the same rule as folders).
bool is_image_member(const std::string& name) {
  if (name.empty() || name.back() == '/') return false;
  for (const auto& part : split(name, '/'))
    if (!part.empty() && part[0] == '.') return false;
  return io::has_image_extension(name);
}

class ZipSource final : public detail::ListedSource {
 public:
  ZipSource(const std::filesystem::path& archive, std::int64_t offset, std::int64_t limit)
      : ListedSource("gensweep-zip-fingerprint/v1"),
        archive_(detail::ZipArchive::open(archive, "zip archive")) {
    description_ = fmt::format("zip: {}", archive_->path().string());
    std::vector<const ZipEntry*> members;
    for (const ZipEntry& e : archive_->reader().entries())
      if (is_image_member(e.name)) members.push_back(&e);
    GENSWEEP_CHECK(!members.empty(), IoError,
                   "zip archive '{}' contains no images (*.png, *.jpg, *.jpeg)",
                   archive_->path().string());
    // dataset_tool.py's order: Python's sort of str, i.e. by code point = by UTF-8 bytes.
    std::sort(members.begin(), members.end(),
              [](const ZipEntry* a, const ZipEntry* b) { return a->name < b->name; });
    for (const ZipEntry* e : members)
      ids_.push_back(e->name);
    read_labels();
    apply_window(members, offset, limit);
    members_ = std::move(members);
  }

  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    std::string reason;
    auto bytes = archive_->read_member(*members_[i], detail::member_byte_limit(limits), reason);
    if (!bytes) return detail::failed_image(std::move(reason));
    return io::decode_image(*bytes, limits);
  }

  // Each member's bytes as stored (compressed or not) with its method, declared size and CRC: any
  // change to what load() would decode changes one of them, and nothing is inflated to hash it.
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    for (std::int64_t i = begin; i < end; ++i) {
      const ZipEntry& e = *members_[i];
      std::string reason;
      const auto offset = archive_->data_offset(e, reason);
      const std::string data =
          offset ? detail::sha256_of_range(archive_->file(), *offset, e.compressed_size)
                 : "unreadable";
      out.push_back(data == "unreadable" ? data
                                         : sha256_hex(fmt::format("{} {} {:08x} {}", e.method,
                                                                  e.size, e.crc32, data)));
    }
    return out;
  }

 private:
  // dataset.json {"labels": [["00000/img00000000.png", 6], ...]} or {"labels": null}. A member the
  // list does not name gets -1; a label that is a list of floats (EDM's conditioning vectors) is
  // not a class and gives -1 too.
  void read_labels() {
    const ZipEntry* json_entry = archive_->reader().find("dataset.json");
    if (json_entry == nullptr) return;
    std::string reason;
    auto bytes = archive_->read_member(*json_entry, kMaxDatasetJsonBytes, reason);
    GENSWEEP_CHECK(bytes.has_value(), IoError, "zip archive '{}': dataset.json: {}",
                   archive_->path().string(), reason);
    const auto doc = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
    GENSWEEP_CHECK(!doc.is_discarded() && doc.is_object(), IoError,
                   "zip archive '{}': dataset.json is not a JSON object",
                   archive_->path().string());
    const auto labels = doc.find("labels");
    if (labels == doc.end() || labels->is_null()) return;
    GENSWEEP_CHECK(labels->is_array(), IoError,
                   "zip archive '{}': dataset.json: \"labels\" is not a list of [name, label]",
                   archive_->path().string());
    std::map<std::string, std::int64_t> by_name;
    for (const auto& pair : *labels) {
      GENSWEEP_CHECK(pair.is_array() && pair.size() == 2 && pair[0].is_string(), IoError,
                     "zip archive '{}': dataset.json: a label entry is not [name, label]: {}",
                     archive_->path().string(), pair.dump());
      by_name[pair[0].get<std::string>()] =
          pair[1].is_number_integer() ? pair[1].get<std::int64_t>() : -1;
    }
    labels_.reserve(ids_.size());
    for (const auto& id : ids_) {
      auto it = by_name.find(id);
      labels_.push_back(it == by_name.end() ? -1 : it->second);
    }
  }

  std::shared_ptr<const detail::ZipArchive> archive_;
  std::vector<const ZipEntry*> members_;  // into archive_'s directory, in id order
};

}  // namespace

std::shared_ptr<ImageSource> make_zip_source(const std::filesystem::path& archive,
                                             std::int64_t offset, std::int64_t limit) {
  return std::make_shared<ZipSource>(archive, offset, limit);
}

}  // namespace gensweep::pipeline
