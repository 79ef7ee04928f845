#pragma once
// An image folder as a dataset: a deterministic list of (id, path) and a content fingerprint that
// goes into provenance, so two runs agree on what "the same dataset" means.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/core/sha256.h"

namespace gensweep::io {

struct ImageEntry {
  std::string id;              // path relative to the root, '/' separators
  std::filesystem::path path;  // openable path (root / id)
};

// Every *.png, *.jpg, *.jpeg (any letter case) under root, recursively, sorted by id bytewise.
// Hidden files and hidden directories (name starting with '.') are skipped; symbolic links to
// files and directories are followed (a link to a directory that contains it is not entered, so
// loops end; a directory linked from two places is listed under both names); entries that are not
// regular files after following links (broken links, sockets) are skipped. Throws IoError naming
// root when it does not exist, is not a directory, cannot be read, or contains no images.
std::vector<ImageEntry> list_image_folder(const std::filesystem::path& root);

// Whether a file name has one of the accepted extensions (case-insensitive).
bool has_image_extension(std::string_view file_name);

// Dataset fingerprint: sha256 over, for each entry in order, id + '\0' + sha256_hex(bytes) + '\n'.
// Order matters (ids are sorted by list_image_folder). Incremental, so a pipeline that already
// read each file's bytes for decoding can hash them there instead of reading the folder twice.
class DatasetFingerprint {
 public:
  void add(std::string_view id, std::string_view file_sha256_hex);
  std::string hex_digest();  // finishes; add must not be called afterwards

 private:
  Sha256 sha_;
};

// sha256 hex of one file's bytes (the per-file term of the fingerprint); throws IoError.
std::string fingerprint_file(const std::filesystem::path& path);
// Reads every file; throws IoError naming the first file that cannot be read.
std::string fingerprint_entries(const std::vector<ImageEntry>& entries);

}  // namespace gensweep::io
