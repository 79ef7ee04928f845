// source = "tar": WebDataset shards (FORMATS.md section 8).
//
// Listing uses libarchive (ustar, pax and GNU headers, long names): one sequential pass per shard
// at construction records each member's name, size and data offset (the filter position once its
// header is read). load(index) then preads the image member at that offset: random access, no
// shared cursor, safe from concurrent decode threads. That needs the shard's bytes as they are on
// disk, so compressed shards (.tar.gz, ...) are refused with a message rather than decompressed
// sequentially per image (O(shard) per load) or whole into memory.

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "../features/zip_reader.h"
#include "archive_sources.h"
#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"

namespace gensweep::pipeline {
namespace {

constexpr std::array<std::string_view, 4> kDefaultImageFields = {"png", "jpg", "jpeg", "webp"};
constexpr std::int64_t kMaxClsBytes = 64;

struct Member {
  std::string field;
  std::uint64_t offset = 0;  // of the data in the shard
  std::uint64_t size = 0;
};

struct Sample {
  std::size_t shard = 0;
  Member image;        // valid when reason is empty
  std::string reason;  // why the sample has no usable image
};

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

// webdataset's base_plus_ext: key = the path up to the first '.' of its last component, field = the
// rest, lower-cased.
bool split_key(const std::string& name, std::string& key, std::string& field) {
  const std::size_t slash = name.rfind('/');
  const std::size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  if (dot == std::string::npos || dot == 0 || name[dot - 1] == '/') return false;
  key = name.substr(0, dot);
  field = name.substr(dot + 1);
  for (char& c : field)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return true;
}

// "__key__"-style metadata members, which webdataset skips.
bool is_meta(const std::string& key) {
  const std::size_t slash = key.rfind('/');
  const std::string last = slash == std::string::npos ? key : key.substr(slash + 1);
  return last.size() >= 4 && last.starts_with("__") && last.ends_with("__");
}

class TarSource final : public detail::ListedSource {
 public:
  TarSource(const std::vector<std::filesystem::path>& shards, std::string field,
            std::int64_t offset, std::int64_t limit)
      : ListedSource("gensweep-tar-fingerprint/v1"), field_(std::move(field)) {
    GENSWEEP_CHECK(!shards.empty(), IoError, "tar source: no shards");
    for (const auto& shard : shards) {
      const auto path = std::filesystem::absolute(shard).lexically_normal();
      std::error_code ec;
      GENSWEEP_CHECK(std::filesystem::is_regular_file(path, ec), IoError,
                     "tar shard '{}' does not exist or is not a regular file", path.string());
      files_.push_back(std::make_unique<features::detail::InputFile>(path));
      paths_.push_back(path);
      list_shard(files_.size() - 1);
    }
    GENSWEEP_CHECK(!samples_.empty(), IoError, "tar shards '{}'{} hold no samples",
                   paths_.front().string(), paths_.size() > 1 ? " ..." : "");
    description_ = fmt::format(
        "tar: {}{}", paths_.front().string(),
        paths_.size() > 1 ? fmt::format(" and {} more shards", paths_.size() - 1) : std::string());
    if (!field_.empty()) description_ += fmt::format(" (field {})", field_);
    apply_window(samples_, offset, limit);
  }

  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    std::string reason;
    auto bytes = read_image(samples_[i], detail::member_byte_limit(limits), reason);
    if (!bytes) return detail::failed_image(std::move(reason));
    return io::decode_image(*bytes, limits);
  }

  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    for (std::int64_t i = begin; i < end; ++i) {
      const Sample& s = samples_[i];
      out.push_back(s.reason.empty()
                        ? detail::sha256_of_range(*files_[s.shard], s.image.offset, s.image.size)
                        : "unreadable");
    }
    return out;
  }

 private:
  std::optional<std::vector<std::uint8_t>> read_image(const Sample& s, std::uint64_t max_bytes,
                                                      std::string& reason) const {
    if (!s.reason.empty()) {
      reason = s.reason;
      return std::nullopt;
    }
    if (s.image.size > max_bytes) {
      reason = fmt::format(
          "field '{}' has {} bytes, more than the {} allowed per image (8 bytes per pixel of "
          "compute.max_image_pixels); not read",
          s.image.field, s.image.size, max_bytes);
      return std::nullopt;
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(s.image.size));
    try {
      files_[s.shard]->read_at(s.image.offset, bytes.data(), bytes.size(),
                               fmt::format("field '{}'", s.image.field));
    } catch (const Error& e) {
      reason = fmt::format("tar shard '{}': {}", paths_[s.shard].string(), e.what());
      return std::nullopt;
    }
    return bytes;
  }

  // One pass over a shard's headers; samples are runs of consecutive members with one key.
  void list_shard(std::size_t shard) {
    const auto& path = paths_[shard];
    std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
      throw IoError(
          fmt::format("tar shard '{}': {}", path.string(), archive_error_string(a.get())));
    const std::string shard_name = path.filename().string();

    std::string key;  // of the open sample
    std::vector<Member> fields;
    std::int64_t cls = -1;
    std::string duplicate;
    auto close_sample = [&] {
      if (key.empty()) return;
      Sample s;
      s.shard = shard;
      if (!duplicate.empty()) {
        s.reason = fmt::format(
            "field '{}' appears twice in the sample (tar members of one key "
            "must be distinct)",
            duplicate);
      } else if (const Member* image = choose_image(fields)) {
        s.image = *image;
      } else {
        std::vector<std::string> names;
        for (const auto& f : fields)
          names.push_back(f.field);
        s.reason = field_.empty()
                       ? fmt::format("sample has no image field (png, jpg, jpeg, webp); fields: {}",
                                     fmt::join(names, ", "))
                       : fmt::format("sample has no field '{}'; fields: {}", field_,
                                     fmt::join(names, ", "));
      }
      ids_.push_back(shard_name + "/" + key);
      labels_.push_back(cls);
      samples_.push_back(std::move(s));
      key.clear();
      fields.clear();
      cls = -1;
      duplicate.clear();
    };

    archive_entry* entry = nullptr;
    std::string last_member = "(none)";
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_NONE)
        throw IoError(fmt::format(
            "tar shard '{}' is {}-compressed: gensweep reads each image at its offset, which needs "
            "an uncompressed tar (decompress the shard first, e.g. gunzip)",
            path.string(), archive_filter_name(a.get(), 0)));
      const char* name_c = archive_entry_pathname(entry);
      const std::string name = name_c ? name_c : "";
      last_member = name;
      if (archive_entry_filetype(entry) != AE_IFREG) continue;
      std::string member_key, field;
      if (!split_key(name, member_key, field) || is_meta(member_key)) continue;
      if (member_key != key) {
        close_sample();
        key = member_key;
      }
      // The data follows the header(s) just consumed.
      const auto data_offset = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), 0));
      const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
      for (const auto& f : fields)
        if (f.field == field) duplicate = field;
      if (archive_entry_sparse_count(entry) > 0) continue;  // holes: not one run of bytes
      fields.push_back({field, data_offset, size});
      if (field == "cls" && static_cast<std::int64_t>(size) <= kMaxClsBytes) {
        char text[kMaxClsBytes + 1] = {};
        const la_ssize_t got = archive_read_data(a.get(), text, sizeof text - 1);
        std::string_view digits(text, got > 0 ? static_cast<std::size_t>(got) : 0);
        while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' '))
          digits.remove_suffix(1);
        std::int64_t value = -1;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        cls = (ec == std::errc() && end == digits.data() + digits.size()) ? value : -1;
      }
    }
    if (rc == ARCHIVE_FATAL) {
      const std::string why = archive_error_string(a.get()) ? archive_error_string(a.get()) : "";
      // A shard cut short (a copy interrupted): what was listed stays; the sample being read when
      // the data ran out fails on load (its bytes lie past the end), and the cut itself is
      // recorded as a failed image so the loss is visible in the store and counts against
      // compute.max_failed_images.
      if (why.find("runcated") != std::string::npos) {
        close_sample();
        Sample s;
        s.shard = shard;
        s.reason = fmt::format(
            "tar shard '{}' is truncated after member '{}' ({}): the samples "
            "after it are missing",
            path.string(), last_member, why);
        ids_.push_back(fmt::format("{}/<truncated>", shard_name));
        labels_.push_back(-1);
        samples_.push_back(std::move(s));
        return;
      }
      throw IoError(fmt::format("tar shard '{}': cannot read past member '{}': {}", path.string(),
                                last_member, why));
    }
    close_sample();
  }

  const Member* choose_image(const std::vector<Member>& fields) const {
    if (!field_.empty()) {
      for (const auto& f : fields)
        if (f.field == field_) return &f;
      return nullptr;
    }
    for (std::string_view wanted : kDefaultImageFields)
      for (const auto& f : fields)
        if (f.field == wanted) return &f;
    return nullptr;
  }

  std::string field_;
  std::vector<std::filesystem::path> paths_;
  std::vector<std::unique_ptr<features::detail::InputFile>> files_;
  std::vector<Sample> samples_;
};

}  // namespace

std::shared_ptr<ImageSource> make_tar_source(const std::vector<std::filesystem::path>& shards,
                                             const std::string& field, std::int64_t offset,
                                             std::int64_t limit) {
  return std::make_shared<TarSource>(shards, field, offset, limit);
}

}  // namespace gensweep::pipeline
