// source = "zip": StyleGAN / EDM dataset archives (dataset_tool.py), read through libzip
// (zip_members.h): load(index) must be O(1) and concurrent, which libzip's random access by entry
// index gives with one handle per thread (libarchive reads a zip as a stream of entries and has no
// "seek to entry i", so each load would walk the archive). Bombs are bounded before anything is
// inflated: the declared size against the member limit, and libzip reads no further than it.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "archive_sources.h"
#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/strings.h"
#include "gensweep/io/folder_source.h"
#include "zip_members.h"

namespace gensweep::pipeline {
namespace {

using detail::ZipMember;

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
    std::vector<const ZipMember*> members;
    for (const ZipMember& e : archive_->members())
      if (is_image_member(e.name)) members.push_back(&e);
    GENSWEEP_CHECK(!members.empty(), IoError,
                   "zip archive '{}' contains no images (*.png, *.jpg, *.jpeg)",
                   archive_->path().string());
    // dataset_tool.py's order: Python's sort of str, i.e. by code point = by UTF-8 bytes.
    std::sort(members.begin(), members.end(),
              [](const ZipMember* a, const ZipMember* b) { return a->name < b->name; });
    for (const ZipMember* e : members)
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
      const ZipMember& e = *members_[i];
      const std::string data = archive_->stored_bytes_sha256(e);
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
    const ZipMember* json_entry = archive_->find("dataset.json");
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
  std::vector<const ZipMember*> members_;  // into archive_'s directory, in id order
};

}  // namespace

std::shared_ptr<ImageSource> make_zip_source(const std::filesystem::path& archive,
                                             std::int64_t offset, std::int64_t limit) {
  return std::make_shared<ZipSource>(archive, offset, limit);
}

}  // namespace gensweep::pipeline
