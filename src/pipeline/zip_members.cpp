#include "zip_members.h"

#include <zlib.h>

#include <fmt/format.h>

#include "gensweep/core/error.h"

namespace gensweep::pipeline::detail {
namespace {

using features::detail::ZipEntry;

constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::size_t kInflateChunk = 64 * 1024;  // compressed bytes read per step

std::uint16_t u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(u16(p)) | (static_cast<std::uint32_t>(u16(p + 2)) << 16);
}

// Inflates `entry` (raw deflate, at `offset`) into exactly entry.size bytes, reading the
// compressed stream in chunks, so neither buffer exceeds its declared size.
bool inflate_member(const features::detail::InputFile& file, const ZipEntry& entry,
                    std::uint64_t offset, std::vector<std::uint8_t>& out, std::string& reason) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    reason = "cannot start zlib";
    return false;
  }
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  out.resize(static_cast<std::size_t>(entry.size));
  // One spare byte of output room: a stream that fills it produces more than it declares.
  std::uint8_t spare = 0;
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(out.size(), UINT32_MAX));
  std::vector<std::uint8_t> chunk(kInflateChunk);
  std::uint64_t read = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      if (read == entry.compressed_size) {
        reason = fmt::format("deflated data ends before the stream does ({} of {} bytes inflated)",
                             z.total_out, entry.size);
        return false;
      }
      const auto n = static_cast<std::size_t>(
          std::min<std::uint64_t>(chunk.size(), entry.compressed_size - read));
      try {
        file.read_at(offset + read, chunk.data(), n, "the deflated data");
      } catch (const Error& e) {
        reason = e.what();
        return false;
      }
      read += n;
      z.next_in = chunk.data();
      z.avail_in = static_cast<uInt>(n);
    }
    if (z.avail_out == 0) {
      const std::uint64_t produced = z.total_out;
      if (produced < out.size()) {
        z.next_out = out.data() + produced;
        z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(out.size() - produced, UINT32_MAX));
      } else {
        z.next_out = &spare;
        z.avail_out = 1;
      }
    }
    rc = inflate(&z, Z_NO_FLUSH);
    if (z.total_out > out.size()) {
      reason = fmt::format(
          "zip member inflates to more than the {} bytes it declares (a zip bomb or a damaged "
          "archive); stopped there",
          entry.size);
      return false;
    }
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_in == 0)) {
      reason = fmt::format("corrupt deflate data: {}", z.msg ? z.msg : zError(rc));
      return false;
    }
  }
  if (z.total_out != out.size()) {
    reason = fmt::format("inflates to {} bytes but declares {}", z.total_out, entry.size);
    return false;
  }
  return true;
}

}  // namespace

ZipArchive::ZipArchive(std::filesystem::path path,
                       std::unique_ptr<features::detail::InputFile> file)
    : path_(std::move(path)), file_(std::move(file)) {
  reader_ = std::make_unique<features::detail::ZipReader>(*file_);
}

std::shared_ptr<const ZipArchive> ZipArchive::open(const std::filesystem::path& path,
                                                   const std::string& what) {
  const auto absolute = std::filesystem::absolute(path).lexically_normal();
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::exists(absolute, ec), IoError, "{} '{}' does not exist", what,
                 absolute.string());
  GENSWEEP_CHECK(std::filesystem::is_regular_file(absolute, ec), IoError,
                 "{} '{}' is not a regular file", what, absolute.string());
  try {
    return std::make_shared<ZipArchive>(absolute,
                                        std::make_unique<features::detail::InputFile>(absolute));
  } catch (const Error& e) {
    // The zip reader's messages do not name the file (its first caller adds the checkpoint's).
    throw IoError(fmt::format("{} '{}': {}", what, absolute.string(), e.what()));
  }
}

std::optional<std::uint64_t> ZipArchive::data_offset(const ZipEntry& entry,
                                                     std::string& reason) const {
  std::uint8_t local[kLocalHeaderSize];
  try {
    file_->read_at(entry.local_header_offset, local, sizeof local, "its local header");
  } catch (const Error& e) {
    reason = e.what();
    return std::nullopt;
  }
  if (u32(local) != kLocalHeaderSig) {
    reason = fmt::format("no local header at byte {} (damaged archive)", entry.local_header_offset);
    return std::nullopt;
  }
  // The local name and extra lengths differ from the central ones (numpy's ZIP64 extras).
  const std::uint64_t offset =
      entry.local_header_offset + kLocalHeaderSize + u16(local + 26) + u16(local + 28);
  if (offset > file_->size() || entry.compressed_size > file_->size() - offset) {
    reason = fmt::format(
        "truncated: its data needs bytes {}..{} but the archive ends at byte {} (cut short?)",
        offset, offset + entry.compressed_size, file_->size());
    return std::nullopt;
  }
  return offset;
}

std::optional<std::vector<std::uint8_t>> ZipArchive::read_member(const ZipEntry& entry,
                                                                 std::uint64_t max_bytes,
                                                                 std::string& reason) const {
  if (entry.flags & 0x1) {
    reason = "zip member is encrypted";
    return std::nullopt;
  }
  if (entry.method != 0 && entry.method != 8) {
    reason = fmt::format("zip member uses compression method {} (only stored and deflate are read)",
                         entry.method);
    return std::nullopt;
  }
  // Before reading or inflating anything.
  if (entry.size > max_bytes) {
    reason = fmt::format(
        "zip member declares {} bytes, more than the {} bytes allowed per image (8 bytes per "
        "pixel of compute.max_image_pixels); not inflated",
        entry.size, max_bytes);
    return std::nullopt;
  }
  auto offset = data_offset(entry, reason);
  if (!offset) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.size) {
      reason = fmt::format("stored zip member has compressed size {} but size {} (damaged)",
                           entry.compressed_size, entry.size);
      return std::nullopt;
    }
    bytes.resize(static_cast<std::size_t>(entry.size));
    try {
      file_->read_at(*offset, bytes.data(), bytes.size(), "the member");
    } catch (const Error& e) {
      reason = e.what();
      return std::nullopt;
    }
  } else if (!inflate_member(*file_, entry, *offset, bytes, reason)) {
    return std::nullopt;
  }
  const std::uint32_t crc = features::detail::crc32(bytes);
  if (crc != entry.crc32) {
    reason = fmt::format("zip member fails its CRC-32 check (stored {:08x}, computed {:08x})",
                         entry.crc32, crc);
    return std::nullopt;
  }
  return bytes;
}

}  // namespace gensweep::pipeline::detail
