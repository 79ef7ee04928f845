#pragma once
// HDF5 1.10.8 reads variable-length strings from "global heap collections" without bounds checks:
// a damaged collection, or a damaged reference to one, makes it read out of bounds and crash
// (H5HG_read; found by the store's random-damage tests). Before HDF5 dereferences the references
// the store relies on, this checks them, and the collections they point into, against the file
// format specification (section III.E, "Global Heap"), so that damage becomes a StoreError.
//
// It reads the file directly (read-only) and understands exactly what the store writes: 8-byte
// offsets and lengths, references stored contiguously.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace gensweep::store::detail {

class GlobalHeapCheck {
 public:
  // `context` starts every error message ("store '/data/x.h5'").
  GlobalHeapCheck(const std::filesystem::path& file, std::string context);

  // Checks `count` on-disk references (16 bytes each: length, collection address, object index)
  // starting at byte `offset` of the file; `what` names them in messages ("'/ids'"). Throws
  // StoreError at the first reference that points at a missing or damaged object.
  void check_references(std::uint64_t offset, std::int64_t count, const std::string& what);

  // If a collection starts at `address`, checks it (throws StoreError when it is damaged).
  void check_collection_if_present(std::uint64_t address, const std::string& what);

 private:
  // Object index -> object size for an intact collection, or nullopt when it is damaged.
  using Objects = std::map<std::uint32_t, std::uint64_t>;
  const std::optional<Objects>& collection(std::uint64_t address);
  std::optional<Objects> parse_collection(std::uint64_t address);

  std::ifstream in_;
  std::uint64_t file_size_ = 0;
  std::string context_;
  std::map<std::uint64_t, std::optional<Objects>> collections_;
};

}  // namespace gensweep::store::detail
