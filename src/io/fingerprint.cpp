// Content fingerprint of a dataset (provenance): ids and file digests, in listing order.

#include "gensweep/core/sha256.h"
#include "gensweep/io/folder_source.h"

namespace gensweep::io {

void DatasetFingerprint::add(std::string_view id, std::string_view file_sha256_hex) {
  // '\0' cannot occur in a path, '\n' cannot occur in a hex digest: the encoding is unambiguous.
  sha_.update(id);
  sha_.update(std::string_view("\0", 1));
  sha_.update(file_sha256_hex);
  sha_.update(std::string_view("\n", 1));
}

std::string DatasetFingerprint::hex_digest() {
  return sha_.hex_digest();
}

std::string fingerprint_file(const std::filesystem::path& path) {
  return sha256_file_hex(path);
}

std::string fingerprint_entries(const std::vector<ImageEntry>& entries) {
  DatasetFingerprint fingerprint;
  for (const ImageEntry& entry : entries)
    fingerprint.add(entry.id, fingerprint_file(entry.path));
  return fingerprint.hex_digest();
}

}  // namespace gensweep::io
