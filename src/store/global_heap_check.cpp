#include "global_heap_check.h"

#include "gensweep/core/error.h"

#include <fmt/format.h>

#include <cstring>
#include <vector>

namespace gensweep::store::detail {
namespace {

constexpr std::uint64_t kHeaderBytes = 16;        // "GCOL", version, 3 reserved, size (8)
constexpr std::uint64_t kObjectHeaderBytes = 16;  // index (2), refs (2), reserved (4), size (8)
constexpr std::uint64_t kMinCollectionBytes = 4096;
constexpr std::uint64_t kReferenceBytes = 16;  // length (4), collection address (8), index (4)

std::uint64_t little_endian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i)
    value = (value << 8) | bytes[i];
  return value;
}

std::uint64_t align8(std::uint64_t n) {
  return (n + 7) / 8 * 8;
}

}  // namespace

GlobalHeapCheck::GlobalHeapCheck(const std::filesystem::path& file, std::string context)
    : in_(file, std::ios::binary), context_(std::move(context)) {
  std::error_code ec;
  file_size_ = std::filesystem::file_size(file, ec);
  if (ec || !in_) throw StoreError(fmt::format("{}: cannot read the file", context_));
}

std::optional<GlobalHeapCheck::Objects> GlobalHeapCheck::parse_collection(std::uint64_t address) {
  if (address > file_size_ || file_size_ - address < kHeaderBytes) return std::nullopt;
  unsigned char header[kHeaderBytes];
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(address));
  if (!in_.read(reinterpret_cast<char*>(header), kHeaderBytes)) return std::nullopt;
  if (std::memcmp(header, "GCOL", 4) != 0 || header[4] != 1) return std::nullopt;
  const std::uint64_t size = little_endian(header + 8, 8);
  if (size < kMinCollectionBytes || size > file_size_ - address) return std::nullopt;
  std::vector<unsigned char> bytes(size);
  in_.seekg(static_cast<std::streamoff>(address));
  if (!in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    return std::nullopt;
  // Walk the objects the way HDF5 does, but insist that every object lies inside the collection
  // and that the walk ends exactly at its end.
  Objects objects;
  std::uint64_t p = kHeaderBytes;
  while (p < size) {
    if (size - p < kObjectHeaderBytes) break;  // a tail too small for a header is free space
    const auto index = static_cast<std::uint32_t>(little_endian(&bytes[p], 2));
    const std::uint64_t object_size = little_endian(&bytes[p + 8], 8);
    std::uint64_t need = 0;
    if (index > 0) {
      if (object_size > size) return std::nullopt;
      need = kObjectHeaderBytes + align8(object_size);
      if (!objects.emplace(index, object_size).second) return std::nullopt;  // duplicate index
    } else {
      need = object_size;  // free space: its size includes its header
      if (need < kObjectHeaderBytes) return std::nullopt;  // HDF5 would loop forever
    }
    if (need > size - p) return std::nullopt;
    p += need;
  }
  return objects;
}

const std::optional<GlobalHeapCheck::Objects>& GlobalHeapCheck::collection(std::uint64_t address) {
  auto found = collections_.find(address);
  if (found == collections_.end())
    found = collections_.emplace(address, parse_collection(address)).first;
  return found->second;
}

void GlobalHeapCheck::check_collection_if_present(std::uint64_t address, const std::string& what) {
  if (address > file_size_ || file_size_ - address < 4) return;
  char signature[4] = {};
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(address));
  if (!in_.read(signature, 4) || std::memcmp(signature, "GCOL", 4) != 0) return;
  if (!collection(address))
    throw StoreError(
        fmt::format("{} is damaged: the global heap collection at byte {} ({}) is corrupt",
                    context_, address, what));
}

void GlobalHeapCheck::check_references(std::uint64_t offset, std::int64_t count,
                                       const std::string& what) {
  if (count <= 0) return;
  const std::uint64_t total = static_cast<std::uint64_t>(count) * kReferenceBytes;
  if (offset > file_size_ || file_size_ - offset < total)
    throw StoreError(
        fmt::format("{} is damaged: {} extends past the end of the file", context_, what));
  constexpr std::int64_t kBlock = 1 << 16;
  std::vector<unsigned char> block(static_cast<std::size_t>(kBlock * kReferenceBytes));
  for (std::int64_t first = 0; first < count; first += kBlock) {
    const std::int64_t n = std::min(kBlock, count - first);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset + static_cast<std::uint64_t>(first) * 16));
    if (!in_.read(reinterpret_cast<char*>(block.data()), n * 16))
      throw StoreError(fmt::format("{}: cannot read {}", context_, what));
    for (std::int64_t i = 0; i < n; ++i) {
      const unsigned char* reference = &block[static_cast<std::size_t>(i * 16)];
      const std::uint64_t length = little_endian(reference, 4);
      const std::uint64_t address = little_endian(reference + 4, 8);
      if (address == 0) continue;  // a null reference: HDF5 reads nothing
      const auto index = static_cast<std::uint32_t>(little_endian(reference + 12, 4));
      const auto& objects = collection(address);
      const bool ok = objects && index > 0 && objects->count(index) && objects->at(index) == length;
      if (!ok)
        throw StoreError(fmt::format(
            "{} is damaged: element {} of {} refers to a missing or damaged variable-length "
            "string (global heap collection at byte {}, object {})",
            context_, first + i, what, address, index));
    }
  }
}

}  // namespace gensweep::store::detail
