#include "zip_members.h"

#include <fmt/format.h>
#include <zip.h>
#include <zlib.h>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"

namespace gensweep::pipeline::detail {
namespace {

// Opens `path` read-only. Not with ZIP_CHECKCONS: it refuses archives whose local headers defer
// sizes to data descriptors (libarchive's and other streaming writers'), which read correctly.
::zip* open_handle(const std::filesystem::path& path, std::string& reason) {
  int error = 0;
  ::zip* handle = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (handle == nullptr) {
    zip_error_t e;
    zip_error_init_with_code(&e, error);
    // A zip whose end was cut off has no end-of-central-directory record: libzip then says "Not
    // a zip archive", which misleads about a file that starts like one.
    reason = error == ZIP_ER_NOZIP
                 ? fmt::format(
                       "truncated or damaged zip archive: no end-of-central-directory "
                       "record (libzip: {})",
                       zip_error_strerror(&e))
                 : std::string(zip_error_strerror(&e));
    zip_error_fini(&e);
  }
  return handle;
}

}  // namespace

ZipArchive::ZipArchive(std::filesystem::path path) : path_(std::move(path)) {}

ZipArchive::~ZipArchive() {
  for (::zip* handle : pool_)
    zip_discard(handle);
}

void ZipArchive::HandleReturn::operator()(::zip* handle) const {
  std::lock_guard<std::mutex> lock(archive->pool_mutex_);
  archive->pool_.push_back(handle);
}

std::unique_ptr<::zip, ZipArchive::HandleReturn> ZipArchive::borrow(std::string& reason) const {
  ::zip* handle = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!pool_.empty()) {
      handle = pool_.back();
      pool_.pop_back();
    }
  }
  if (handle == nullptr) handle = open_handle(path_, reason);
  return std::unique_ptr<::zip, HandleReturn>(handle, HandleReturn{this});
}

std::shared_ptr<const ZipArchive> ZipArchive::open(const std::filesystem::path& path,
                                                   const std::string& what) {
  const auto absolute = std::filesystem::absolute(path).lexically_normal();
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::exists(absolute, ec), IoError, "{} '{}' does not exist", what,
                 absolute.string());
  GENSWEEP_CHECK(std::filesystem::is_regular_file(absolute, ec), IoError,
                 "{} '{}' is not a regular file", what, absolute.string());
  std::shared_ptr<ZipArchive> archive(new ZipArchive(absolute));
  std::string reason;
  ::zip* handle = open_handle(absolute, reason);
  GENSWEEP_CHECK(handle != nullptr, IoError, "{} '{}': {}", what, absolute.string(), reason);
  const zip_int64_t count = zip_get_num_entries(handle, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(handle, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      const std::string error = zip_strerror(handle);
      zip_discard(handle);
      throw IoError(fmt::format("{} '{}': damaged central directory at entry {}: {}", what,
                                absolute.string(), i, error));
    }
    ZipMember m;
    m.name = st.name ? st.name : "";
    m.index = static_cast<std::uint64_t>(i);
    m.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    m.compressed_size = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    m.crc32 = (st.valid & ZIP_STAT_CRC) ? st.crc : 0;
    m.method = (st.valid & ZIP_STAT_COMP_METHOD) ? static_cast<std::uint16_t>(st.comp_method) : 0;
    m.encrypted = (st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE;
    archive->members_.push_back(std::move(m));
  }
  archive->pool_.push_back(handle);  // the first handle serves the first loads
  return archive;
}

const ZipMember* ZipArchive::find(const std::string& name) const {
  for (const auto& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

std::optional<std::vector<std::uint8_t>> ZipArchive::read_member(const ZipMember& member,
                                                                 std::uint64_t max_bytes,
                                                                 std::string& reason) const {
  if (member.encrypted) {
    reason = "zip member is encrypted";
    return std::nullopt;
  }
  if (member.method != ZIP_CM_STORE && member.method != ZIP_CM_DEFLATE) {
    reason = fmt::format("zip member uses compression method {} (only stored and deflate are read)",
                         member.method);
    return std::nullopt;
  }
  // Before reading or inflating anything.
  if (member.size > max_bytes) {
    reason = fmt::format(
        "zip member declares {} bytes, more than the {} bytes allowed per image (8 bytes per "
        "pixel of compute.max_image_pixels); not inflated",
        member.size, max_bytes);
    return std::nullopt;
  }
  auto handle = borrow(reason);
  if (!handle) return std::nullopt;
  zip_file_t* file = zip_fopen_index(handle.get(), member.index, 0);
  if (file == nullptr) {
    reason = fmt::format("cannot open the zip member: {}", zip_strerror(handle.get()));
    return std::nullopt;
  }
  // libzip stops at the declared size, and reports a CRC mismatch (or data that ends early) when
  // the member's bytes are not those the header describes: a lying header goes no further.
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(member.size));
  std::uint64_t done = 0;
  zip_int64_t got = 0;
  while (done < bytes.size() &&
         (got = zip_fread(file, bytes.data() + done, bytes.size() - done)) > 0)
    done += static_cast<std::uint64_t>(got);
  std::uint8_t extra = 0;
  if (got >= 0 && done == bytes.size()) got = zip_fread(file, &extra, 1);  // reaches the CRC check
  if (got < 0 || done != bytes.size()) {
    reason = got < 0 ? fmt::format("zip member cannot be read whole: {}",
                                   zip_error_strerror(zip_file_get_error(file)))
                     : fmt::format("zip member ends after {} of the {} bytes it declares", done,
                                   member.size);
    zip_fclose(file);
    return std::nullopt;
  }
  zip_fclose(file);
  // libzip stops at the declared size without checking the CRC when the stream goes on past it:
  // check it here, which is what catches a header that lies about the member's size.
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), bytes.data(), static_cast<z_size_t>(bytes.size())));
  if (crc != member.crc32) {
    reason = fmt::format(
        "zip member's {} declared bytes fail its CRC-32 check (stored {:08x}, computed {:08x}): it "
        "inflates to other bytes than it declares (a zip bomb or a damaged archive); stopped there",
        member.size, member.crc32, crc);
    return std::nullopt;
  }
  return bytes;
}

std::string ZipArchive::stored_bytes_sha256(const ZipMember& member) const {
  std::string reason;
  auto handle = borrow(reason);
  if (!handle) return "unreadable";
  zip_file_t* file = zip_fopen_index(handle.get(), member.index, ZIP_FL_COMPRESSED);
  if (file == nullptr) return "unreadable";
  Sha256 sha;
  std::uint8_t block[1 << 16];
  zip_int64_t got = 0;
  while ((got = zip_fread(file, block, sizeof block)) > 0)
    sha.update(block, static_cast<std::size_t>(got));
  zip_fclose(file);
  return got < 0 ? std::string("unreadable") : sha.hex_digest();
}

}  // namespace gensweep::pipeline::detail
