#pragma once
// A zip archive opened once and read member by member at offsets, from any number of threads
// (zip_source.cpp says why this over libarchive/libzip). Shared by the zip and npz sources.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../features/zip_reader.h"

namespace gensweep::pipeline::detail {

class ZipArchive {
 public:
  // Reads the central directory. Throws IoError "<what> '<path>': <problem>" when the file is
  // missing, not a zip, truncated (no end record) or its directory is damaged.
  static std::shared_ptr<const ZipArchive> open(const std::filesystem::path& path,
                                                const std::string& what);

  const std::filesystem::path& path() const { return path_; }
  const features::detail::ZipReader& reader() const { return *reader_; }
  const features::detail::InputFile& file() const { return *file_; }

  // Where the member's (possibly compressed) bytes start, from its local header, checked to lie
  // inside the file; nullopt with `reason` set otherwise.
  std::optional<std::uint64_t> data_offset(const features::detail::ZipEntry& entry,
                                           std::string& reason) const;

  // The member's bytes, stored or deflated, CRC-checked; nullopt with `reason` when it is
  // encrypted, uses another method, declares more than `max_bytes`, inflates to more (or fewer)
  // bytes than it declares, fails its CRC or lies past the end of the file. Never allocates more
  // than the declared size, itself at most `max_bytes`. Thread-safe.
  std::optional<std::vector<std::uint8_t>> read_member(const features::detail::ZipEntry& entry,
                                                       std::uint64_t max_bytes,
                                                       std::string& reason) const;

  ZipArchive(std::filesystem::path path, std::unique_ptr<features::detail::InputFile> file);

 private:
  std::filesystem::path path_;
  std::unique_ptr<features::detail::InputFile> file_;
  std::unique_ptr<features::detail::ZipReader> reader_;
};

}  // namespace gensweep::pipeline::detail
