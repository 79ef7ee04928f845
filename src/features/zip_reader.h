#pragma once
// A minimal reader of the zip archives torch.save writes (PyTorch >= 1.6, through miniz): every
// entry stored uncompressed (aligned to 64 bytes by padding in the local header's extra field),
// sizes and CRC-32 in the central directory, ZIP64 records once the archive or an entry passes
// 4 GiB or 65535 entries. Compressed or encrypted entries are refused with a message rather than
// inflated: torch never writes them, so such a file was re-zipped by another tool, and refusing
// keeps zlib out of the build. Every offset and size read from the file is checked against the
// file's length before it is used.
//
// Errors are BackboneError messages without the file name (the checkpoint reader adds it).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace gensweep::features::detail {

// CRC-32 (ISO-HDLC, as zip uses), continuing from `crc` (0 to start).
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

// A file opened for reading at offsets (pread), closed by the destructor; move-only.
class InputFile {
 public:
  // Throws BackboneError when the file cannot be opened.
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&&) = delete;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::uint64_t size() const { return size_; }
  // Reads n bytes at offset into dst. Throws BackboneError naming `what` when the file is too short
  // ("truncated: <what> needs bytes A..B but the file ends at byte S") or the read fails.
  void read_at(std::uint64_t offset, void* dst, std::size_t n, const std::string& what) const;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct ZipEntry {
  std::string name;
  std::uint64_t local_header_offset = 0;
  std::uint64_t size = 0;             // uncompressed
  std::uint64_t compressed_size = 0;  // equal to size for a stored entry
  std::uint32_t crc32 = 0;
  std::uint16_t method = 0;  // 0 stored, 8 deflate, ...
  std::uint16_t flags = 0;
};

class ZipReader {
 public:
  // Reads the end-of-central-directory record (ZIP64 when present) and the central directory.
  // `file` must outlive the reader.
  explicit ZipReader(const InputFile& file);

  // Entries in central-directory order (torch writes data.pkl first, then the records).
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry with exactly this name, or nullptr.
  const ZipEntry* find(const std::string& name) const;
  // The entry's bytes, CRC-checked. Refuses compressed and encrypted entries.
  std::vector<std::uint8_t> read(const ZipEntry& entry) const;

 private:
  const InputFile& file_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, std::size_t> by_name_;
};

}  // namespace gensweep::features::detail
