#pragma once
// A dataset's content fingerprint without reading its images again on every run.
//
// The fingerprint (provenance: "dataset_fingerprint") is a function of every image file's sha256.
// Hashing 70,000 1024x1024 PNGs reads about 90 GB, so each file's digest is remembered in an input
// manifest next to the file's stat record (size, modification and change times in ns, inode) when
// it is first hashed; a later run reads a file again only when its stat record changed (or was
// too recent to trust, see below). A changed, added or removed file changes the fingerprint, so
// every store made from the old images becomes stale.
//
// Manifests live in <output>/cache/inputs/, one per image folder (shared by every window and
// distortion of it), written whole under a temporary name and renamed. Like every cache, a
// damaged or foreign manifest is ignored (info log) and deleting it is always safe: the files are
// then hashed again.
//
// Trust: a stat record proves nothing about a file modified within the file system's timestamp
// resolution of the moment it was hashed (Git's "racily clean" entries). A digest is reused only
// when the file's modification time is at least kRacyWindowNs older than the moment its stat
// record was taken; younger files are hashed again until they are old enough.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/image_source.h"

namespace gensweep::pipeline {

inline constexpr std::int64_t kRacyWindowNs = 2'000'000'000;  // FAT's 2 s, with room for any other

// What identifies a file's bytes without reading them.
struct FileStat {
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileStat&) const = default;
};
// nullopt when the file cannot be stat'ed (the extraction then records the image as failed).
std::optional<FileStat> stat_file(const std::filesystem::path& path);

struct InputDigestOptions {
  std::filesystem::path manifest_dir;  // empty: no manifest (every file is hashed)
  bool verify = false;                 // --verify-inputs: hash every file, refresh the manifest
  bool write = true;                   // false: never write the manifest (`gensweep status`)
};

struct DatasetDigest {
  std::string fingerprint;
  std::int64_t files = 0;   // images read from files
  std::int64_t hashed = 0;  // of which were read and hashed by this call
};

// <manifest_dir>/<first 16 hex digits of sha256(folder)>.tsv
std::filesystem::path input_manifest_path(const std::filesystem::path& manifest_dir,
                                          const std::filesystem::path& files_root);

// Collective: rank 0 stats every file and looks it up in the manifest; the files to hash are dealt
// round-robin over the ranks (each hashing on `threads` threads); rank 0 combines the digests in
// order, updates the manifest and broadcasts the fingerprint. Never throws for an unreadable
// image (its digest is "unreadable", as the extraction records it as failed).
DatasetDigest dataset_fingerprint(const ImageSource& source, const dist::Comm& comm, int threads,
                                  const InputDigestOptions& options);

}  // namespace gensweep::pipeline
