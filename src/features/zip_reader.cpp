#include "zip_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "gensweep/core/error.h"

namespace gensweep::features::detail {

namespace {

// Slice-by-8 tables: checking the CRC of a 100 MB weights file then costs well under a second.
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s)
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}

constexpr CrcTables kCrcTables = make_crc_tables();

std::uint16_t u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t u64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(u32(p)) | (static_cast<std::uint64_t>(u32(p + 4)) << 32);
}

constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;

const char* method_name(std::uint16_t method) {
  switch (method) {
    case 8:
      return "deflate";
    case 9:
      return "deflate64";
    case 12:
      return "bzip2";
    case 14:
      return "lzma";
    case 93:
      return "zstd";
    case 95:
      return "xz";
    default:
      return "an unknown method";
  }
}

[[noreturn]] void damaged(const std::string& what) {
  throw BackboneError("damaged zip archive: " + what);
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  const auto& t = kCrcTables;
  crc = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint32_t lo = u32(p) ^ crc;
    std::uint32_t hi = u32(p + 4);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

InputFile::InputFile(const std::filesystem::path& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw BackboneError(fmt::format("cannot open the weights file: {}", std::strerror(errno)));
  struct stat st {};
  std::string problem;
  if (::fstat(fd_, &st) != 0)
    problem = fmt::format("cannot read the weights file: {}", std::strerror(errno));
  else if (S_ISDIR(st.st_mode))
    problem = "is a directory, not a weights file";
  else if (!S_ISREG(st.st_mode))
    problem = "is not a regular file (a weights file is read at offsets)";
  if (!problem.empty()) {
    ::close(fd_);
    fd_ = -1;
    throw BackboneError(problem);
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

InputFile::InputFile(InputFile&& other) noexcept : fd_(other.fd_), size_(other.size_) {
  other.fd_ = -1;
}

void InputFile::read_at(std::uint64_t offset, void* dst, std::size_t n,
                        const std::string& what) const {
  if (offset > size_ || n > size_ - offset)
    throw BackboneError(fmt::format(
        "truncated: {} needs bytes {}..{} but the file ends at byte {} (cut short or damaged)",
        what, offset, offset + n, size_));
  auto* out = static_cast<char*>(dst);
  while (n > 0) {
    ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw BackboneError(fmt::format("read error at byte {} ({}): {}", offset, what,
                                      got < 0 ? std::strerror(errno) : "unexpected end of file"));
    out += got;
    offset += static_cast<std::uint64_t>(got);
    n -= static_cast<std::size_t>(got);
  }
}

ZipReader::ZipReader(const InputFile& file) : file_(file) {
  const std::uint64_t size = file.size();
  // The end record sits in the last 22 bytes plus a comment of at most 65535 bytes.
  std::size_t tail_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, kEndSize + 0xffff));
  std::vector<std::uint8_t> tail(tail_size);
  file.read_at(size - tail_size, tail.data(), tail_size, "the zip end record");
  std::uint64_t end_pos = 0;
  bool found = false;
  for (std::size_t i = tail_size >= kEndSize ? tail_size - kEndSize + 1 : 0; i-- > 0;) {
    // The comment must reach exactly the end of the file: this rejects the signature's bytes
    // appearing by chance inside a storage record of a truncated file.
    if (u32(&tail[i]) == kEndSig && i + kEndSize + u16(&tail[i + 20]) == tail_size) {
      end_pos = size - tail_size + i;
      found = true;
      break;
    }
  }
  if (!found)
    throw BackboneError(fmt::format(
        "truncated or damaged zip archive: no end-of-central-directory record in its last {} "
        "bytes (every zip archive ends with one; was it cut short?)",
        tail_size));
  const std::uint8_t* end = &tail[end_pos - (size - tail_size)];
  std::uint64_t entry_count = u16(end + 10);
  std::uint64_t cd_size = u32(end + 12);
  std::uint64_t cd_offset = u32(end + 16);
  std::uint64_t cd_limit = end_pos;  // the central directory lies before the end records

  // ZIP64: a locator right before the end record points at the 64-bit end record.
  if (end_pos >= kZip64LocatorSize) {
    std::uint8_t loc[kZip64LocatorSize];
    file.read_at(end_pos - kZip64LocatorSize, loc, sizeof loc, "the ZIP64 locator");
    if (u32(loc) == kZip64LocatorSig) {
      std::uint64_t z64_pos = u64(loc + 8);
      if (z64_pos > end_pos - kZip64LocatorSize ||
          end_pos - kZip64LocatorSize - z64_pos < kZip64EndSize)
        damaged(fmt::format("the ZIP64 end record offset {} is out of range", z64_pos));
      std::uint8_t z64[kZip64EndSize];
      file.read_at(z64_pos, z64, sizeof z64, "the ZIP64 end record");
      if (u32(z64) != kZip64EndSig) damaged("bad ZIP64 end record signature");
      entry_count = u64(z64 + 32);
      cd_size = u64(z64 + 40);
      cd_offset = u64(z64 + 48);
      cd_limit = z64_pos;
    }
  }
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    damaged(fmt::format("the central directory ({} bytes at {}) does not fit before byte {}",
                        cd_size, cd_offset, cd_limit));
  // Each entry takes at least 46 bytes: bounds the count before anything is reserved.
  if (entry_count > cd_size / kCentralHeaderSize)
    damaged(fmt::format("{} entries cannot fit in a central directory of {} bytes", entry_count,
                        cd_size));
  std::vector<std::uint8_t> cd(static_cast<std::size_t>(cd_size));
  file.read_at(cd_offset, cd.data(), cd.size(), "the zip central directory");

  entries_.reserve(static_cast<std::size_t>(entry_count));
  std::size_t pos = 0;
  for (std::uint64_t i = 0; i < entry_count; ++i) {
    if (cd.size() - pos < kCentralHeaderSize || u32(&cd[pos]) != kCentralHeaderSig)
      damaged(fmt::format("central directory entry {} is missing or has a bad signature", i));
    const std::uint8_t* h = &cd[pos];
    ZipEntry e;
    e.flags = u16(h + 8);
    e.method = u16(h + 10);
    e.crc32 = u32(h + 16);
    e.compressed_size = u32(h + 20);
    e.size = u32(h + 24);
    std::size_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
    e.local_header_offset = u32(h + 42);
    if (cd.size() - pos - kCentralHeaderSize < name_len + extra_len + comment_len)
      damaged(fmt::format("central directory entry {} runs past the directory's end", i));
    e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    // ZIP64 extended information: the 64-bit values, in this order, of the fields set to ~0.
    const std::uint8_t* extra = h + kCentralHeaderSize + name_len;
    for (std::size_t x = 0; x + 4 <= extra_len;) {
      std::uint16_t id = u16(extra + x), len = u16(extra + x + 2);
      if (x + 4 + len > extra_len) break;
      if (id == 0x0001) {
        const std::uint8_t* f = extra + x + 4;
        std::size_t left = len;
        auto take = [&](std::uint64_t& field) {
          if (left < 8) damaged(fmt::format("entry '{}' has a short ZIP64 extra field", e.name));
          field = u64(f);
          f += 8;
          left -= 8;
        };
        if (e.size == 0xffffffffu) take(e.size);
        if (e.compressed_size == 0xffffffffu) take(e.compressed_size);
        if (e.local_header_offset == 0xffffffffu) take(e.local_header_offset);
      }
      x += 4 + len;
    }
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
    // Two entries with one name would let a reader and a checker see different bytes.
    if (!by_name_.emplace(e.name, entries_.size()).second)
      damaged(fmt::format("the entry '{}' appears twice", e.name));
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::vector<std::uint8_t> ZipReader::read(const ZipEntry& entry) const {
  if (entry.flags & 0x1)
    throw BackboneError(fmt::format(
        "zip entry '{}' is encrypted; torch.save never encrypts, so this is not its file",
        entry.name));
  if (entry.method != 0)
    throw BackboneError(fmt::format(
        "zip entry '{}' is compressed (method {}, {}); torch.save stores entries uncompressed, so "
        "this archive was re-zipped by another tool: load and save it again with torch.save, or "
        "re-zip it without compression (zip -0)",
        entry.name, entry.method, method_name(entry.method)));
  if (entry.compressed_size != entry.size)
    damaged(fmt::format("stored entry '{}' has compressed size {} but size {}", entry.name,
                        entry.compressed_size, entry.size));
  std::uint8_t local[kLocalHeaderSize];
  const std::string what = fmt::format("zip entry '{}'", entry.name);
  file_.read_at(entry.local_header_offset, local, sizeof local, what + " (its local header)");
  if (u32(local) != kLocalHeaderSig)
    damaged(fmt::format("entry '{}' has no local header at byte {}", entry.name,
                        entry.local_header_offset));
  // torch pads the local extra field so that the data starts on a 64-byte boundary; the central
  // directory's extra field differs, so the offset comes from the local header.
  std::uint64_t data_offset =
      entry.local_header_offset + kLocalHeaderSize + u16(local + 26) + u16(local + 28);
  if (data_offset > file_.size() || entry.size > file_.size() - data_offset)
    throw BackboneError(fmt::format(
        "truncated: {} needs bytes {}..{} but the file ends at byte {} (cut short or damaged)",
        what, data_offset, data_offset + entry.size, file_.size()));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(entry.size));
  file_.read_at(data_offset, bytes.data(), bytes.size(), what);
  std::uint32_t crc = crc32(bytes);
  if (crc != entry.crc32)
    damaged(fmt::format("entry '{}' fails its CRC-32 check (stored {:08x}, computed {:08x})",
                        entry.name, entry.crc32, crc));
  return bytes;
}

}  // namespace gensweep::features::detail
