#pragma once
// Side files: small HDF5 files of named float64 / int64 arrays with UTF-8 string attributes, for
// data derived from a store that is cached next to it (the reference structures of
// pipeline/reference_cache.h). A side file is always written whole: under a temporary name unique
// to the writer (pid, counter, random suffix), flushed, fsync'ed and renamed over the target, so
// concurrent writers never corrupt each other (the last rename wins) and a reader sees a complete
// old or a complete new file. Readers verify what they read: the format name and version, every
// array's shape against its element count, and the sha256 of every array's bytes (HDF5 checksums
// metadata, not raw data). Layout: results_schema/STORE_LAYOUT.md ("Reference-structure cache").
//
//   root attributes  format, format_version (the helper's), the caller's attributes, and
//                    `arrays`: every array path, one per line
//   /<path>          N-d float64 LE or int64 LE, contiguous; attributes `sha256` (of the
//                    little-endian bytes) and the caller's
//
// Every attribute is a fixed-length string stored inside its object header: no global heap,
// whose damage HDF5 1.10 does not survive (STORE_LAYOUT.md, "Errors").

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/store/provenance.h"

namespace gensweep::store {

inline constexpr int kSideFileFormatVersion = 1;

struct SideArray {
  std::vector<std::int64_t> shape;     // row-major; at least one dimension
  bool integer = false;                // int64 (integers) or float64 (reals)
  std::vector<double> reals;           // [product of shape] when !integer
  std::vector<std::int64_t> integers;  // [product of shape] when integer
  Attributes attributes;
};

struct SideFile {
  Attributes attributes;                    // root attributes (not format, format_version, arrays)
  std::map<std::string, SideArray> arrays;  // by path: "radii/k3" (groups made as needed)
};

// Writes `file` at `path` (the directory must exist) with root attribute format = `format`.
// Array paths: '/'-separated names of [A-Za-z0-9_.-]+. Throws StoreError naming the path.
void write_side_file(const std::filesystem::path& path, std::string_view format,
                     const SideFile& file);

// Reads the attributes and the arrays whose path starts with `prefix` (every array for "").
// Throws StoreError naming the path when the file is missing, not HDF5, not a side file of
// `format`, of another format_version, or damaged (an array missing, of the wrong shape or type,
// or whose bytes do not match its sha256).
SideFile read_side_file(const std::filesystem::path& path, std::string_view format,
                        std::string_view prefix = "");

}  // namespace gensweep::store
