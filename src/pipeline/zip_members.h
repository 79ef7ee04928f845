#pragma once
// A zip archive read member by member from any number of decode threads, through libzip
// (Debian's libzip): the central directory is read once when the archive is opened, and each
// thread borrows a zip_t handle of its own from a pool (a zip_t may not be used by two threads at
// once), so loading member i is one seek and one read, never a walk through the archive.
// Members are checked against a byte limit before anything is inflated, and libzip never
// inflates past a member's declared size and checks its CRC-32: a zip bomb, or a header that
// lies about its size, costs at most the limit.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct zip;  // libzip's handle, kept out of this header

namespace gensweep::pipeline::detail {

struct ZipMember {
  std::string name;
  std::uint64_t index = 0;  // libzip's entry index
  std::uint64_t size = 0;   // uncompressed, as declared
  std::uint64_t compressed_size = 0;
  std::uint32_t crc32 = 0;
  std::uint16_t method = 0;  // 0 stored, 8 deflate, ...
  bool encrypted = false;
};

class ZipArchive {
 public:
  // Reads the central directory. Throws IoError "<what> '<path>': <problem>" when the file is
  // missing, not a zip, truncated or its directory is damaged.
  static std::shared_ptr<const ZipArchive> open(const std::filesystem::path& path,
                                                const std::string& what);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<ZipMember>& members() const { return members_; }
  const ZipMember* find(const std::string& name) const;

  // The member's bytes, CRC-checked by libzip; nullopt with `reason` when it is encrypted,
  // uses a method other than stored or deflate, declares more than `max_bytes`, or cannot be read
  // whole (damaged, truncated, failing its CRC: what libzip says). Thread-safe.
  std::optional<std::vector<std::uint8_t>> read_member(const ZipMember& member,
                                                       std::uint64_t max_bytes,
                                                       std::string& reason) const;
  // sha256 hex of the member's bytes as stored (compressed): a content digest that inflates
  // nothing. "unreadable" when they cannot be read.
  std::string stored_bytes_sha256(const ZipMember& member) const;

 private:
  explicit ZipArchive(std::filesystem::path path);
  // A handle of this archive for one thread's use, returned to the pool by the deleter.
  struct HandleReturn {
    const ZipArchive* archive;
    void operator()(::zip* handle) const;
  };
  std::unique_ptr<::zip, HandleReturn> borrow(std::string& reason) const;

  std::filesystem::path path_;
  std::vector<ZipMember> members_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<::zip*> pool_;
};

}  // namespace gensweep::pipeline::detail
