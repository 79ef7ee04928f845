#include "gensweep/store/npz_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>

#include "gensweep/core/error.h"
#include "npy_reader.h"

namespace gensweep::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a '<' host");

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::size_t kLocalHeaderBytes = 30;

std::uint32_t little_endian(const std::uint8_t* bytes, int count) {
  std::uint32_t value = 0;
  for (int i = count - 1; i >= 0; --i)
    value = (value << 8) | bytes[i];
  return value;
}

// Opens `path` for reading ZIP members in file order. Streaming mode: numpy writes the sizes into
// every local header (no data descriptors), and in this mode libarchive reports where each local
// header starts, which is what lets a stored member be read by offset.
ArchivePtr open_zip(const std::filesystem::path& path) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  GENSWEEP_CHECK(a != nullptr, IoError, "{}: cannot allocate an archive reader", path.string());
  archive_read_support_format_zip_streamable(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw IoError(fmt::format("{}: cannot open it as a .npz (ZIP) archive: {}", path.string(),
                              archive_error_string(a.get())));
  }
  return a;
}

// Where a stored member's bytes start: after its local header, whose name and extra lengths can
// differ from the central directory's (numpy puts a ZIP64 extra in the local header only). The
// header is read back at the offset libarchive reported and must carry the member's own name,
// or the offset is not trusted (returns 0).
std::uint64_t stored_data_offset(const std::filesystem::path& path, std::int64_t header_offset,
                                 const std::string& name) {
  if (header_offset < 0) return 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::vector<std::uint8_t> header(kLocalHeaderBytes + name.size());
  const ssize_t got = ::pread(fd, header.data(), header.size(), header_offset);
  ::close(fd);
  if (got != static_cast<ssize_t>(header.size())) return 0;
  if (little_endian(header.data(), 4) != kLocalHeaderSignature) return 0;
  const std::uint32_t method = little_endian(header.data() + 8, 2);
  const std::uint32_t name_length = little_endian(header.data() + 26, 2);
  const std::uint32_t extra_length = little_endian(header.data() + 28, 2);
  if (method != 0 || name_length != name.size()) return 0;
  if (std::memcmp(header.data() + kLocalHeaderBytes, name.data(), name.size()) != 0) return 0;
  return static_cast<std::uint64_t>(header_offset) + kLocalHeaderBytes + name_length + extra_length;
}

// Whether a .npy descr names a float of 4 or 8 bytes, and in which byte order.
struct FloatType {
  int bytes = 0;  // 0: not a float32/float64
  bool big_endian = false;
};

FloatType float_type(const std::string& descr) {
  if (descr.size() != 3 || descr[1] != 'f') return {};
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '=' && order != '|') return {};
  const int bytes = descr[2] == '4' ? 4 : descr[2] == '8' ? 8 : 0;
  return {bytes, order == '>'};
}

double read_float(const std::uint8_t* p, const FloatType& t) {
  std::uint8_t raw[8];
  std::memcpy(raw, p, static_cast<std::size_t>(t.bytes));
  if (t.big_endian) std::reverse(raw, raw + t.bytes);
  if (t.bytes == 4) {
    float f;
    std::memcpy(&f, raw, 4);
    return f;
  }
  double d;
  std::memcpy(&d, raw, 8);
  return d;
}

}  // namespace

std::int64_t NpyArrayHeader::element_count() const {
  std::int64_t count = 1;
  for (auto d : shape)
    count *= d;
  return count;
}

std::int64_t NpyArrayHeader::item_size() const {
  std::int64_t size = 0;
  bool digits = false;
  for (char c : descr) {
    if (c >= '0' && c <= '9') {
      size = size * 10 + (c - '0');
      digits = true;
      if (size > 1 << 20) return 0;
    } else if (digits) {
      return 0;  // "<M8[ns]" and other dtypes with a unit: not an array of plain numbers
    }
  }
  return size;
}

std::string NpyArrayHeader::shape_text() const {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

NpyArrayHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& context) {
  GENSWEEP_CHECK(bytes.size() >= 10 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0, IoError,
                 "{}: not a NumPy .npy array (missing the \\x93NUMPY magic)", context);
  NpyArrayHeader h;
  h.major = bytes[6];
  h.minor = bytes[7];
  std::uint64_t length_end = 10;
  std::uint64_t header_length = 0;
  if (h.major == 1) {
    header_length = little_endian(bytes.data() + 8, 2);
  } else if (h.major == 2 || h.major == 3) {
    GENSWEEP_CHECK(bytes.size() >= 12, IoError, "{}: truncated .npy header", context);
    header_length = little_endian(bytes.data() + 8, 4);
    length_end = 12;
  } else {
    throw IoError(fmt::format("{}: unsupported .npy format version {}.{} (known: 1.0, 2.0, 3.0)",
                              context, h.major, h.minor));
  }
  GENSWEEP_CHECK(length_end + header_length <= bytes.size(), IoError,
                 "{}: truncated .npy header: it declares {} bytes, {} are there", context,
                 length_end + header_length, bytes.size());
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + length_end,
                              header_length);
  const detail::NpyHeader dict = detail::parse_npy_header_dict(text, context);
  h.descr = dict.descr;
  h.fortran_order = dict.fortran_order;
  h.shape = dict.shape;
  h.data_offset = static_cast<std::int64_t>(length_end + header_length);
  // Every dimension is non-negative (the parser reads digits only); bound the product.
  std::int64_t count = 1;
  const std::int64_t item = std::max<std::int64_t>(h.item_size(), 1);
  for (auto d : h.shape) {
    GENSWEEP_CHECK(d == 0 || count <= std::numeric_limits<std::int64_t>::max() / item / d, IoError,
                   "{}: shape {} is too large", context, h.shape_text());
    count *= d;
  }
  return h;
}

Float64Array float64_from_raw(const std::string& descr, bool fortran_order,
                              const std::vector<std::int64_t>& shape,
                              std::span<const std::uint8_t> raw, const std::string& context) {
  NpyArrayHeader h;
  h.descr = descr;
  h.shape = shape;
  const FloatType type = float_type(descr);
  GENSWEEP_CHECK(descr != "|O", IoError,
                 "{}: holds pickled Python objects (dtype '|O'); gensweep never unpickles array "
                 "members (expected float32 '<f4' or float64 '<f8')",
                 context);
  GENSWEEP_CHECK(type.bytes != 0, IoError,
                 "{}: has dtype '{}'; expected float32 ('<f4') or float64 ('<f8')", context, descr);
  std::uint64_t count = 1;
  for (auto d : shape) {
    GENSWEEP_CHECK(
        d >= 0 && (d == 0 || count <= (std::uint64_t{1} << 60) / static_cast<std::uint64_t>(d)),
        IoError, "{}: shape {} is too large", context, h.shape_text());
    count *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t need = count * static_cast<std::uint64_t>(type.bytes);
  GENSWEEP_CHECK(raw.size() >= need, IoError,
                 "{}: truncated: shape {} of '{}' needs {} bytes of data, {} are there", context,
                 h.shape_text(), descr, need, raw.size());

  Float64Array out;
  out.shape = shape;
  out.stored_dtype = descr;
  out.values.resize(count);
  const std::uint8_t* data = raw.data();
  if (!fortran_order || shape.size() < 2) {
    for (std::uint64_t i = 0; i < count; ++i)
      out.values[i] = read_float(data + i * type.bytes, type);
    return out;
  }
  // Fortran order: the first index varies fastest. Walk the C-order index and map it.
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> index(rank, 0);
  std::vector<std::int64_t> stride(rank, 1);  // Fortran strides in elements
  for (std::size_t k = 1; k < rank; ++k)
    stride[k] = stride[k - 1] * shape[k - 1];
  for (std::uint64_t i = 0; i < count; ++i) {
    std::int64_t source = 0;
    for (std::size_t k = 0; k < rank; ++k)
      source += index[k] * stride[k];
    out.values[i] = read_float(data + static_cast<std::uint64_t>(source) * type.bytes, type);
    for (std::size_t k = rank; k-- > 0;) {  // next C-order index: the last varies fastest
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

Float64Array decode_npy_float64(std::span<const std::uint8_t> npy, const std::string& context) {
  const NpyArrayHeader h = parse_npy_header(npy, context);
  return float64_from_raw(h.descr, h.fortran_order, h.shape, npy.subspan(h.data_offset), context);
}

NpzFile::NpzFile(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::is_regular_file(path_, ec), IoError,
                 "{}: no such file (expected a .npz archive)", path_.string());
  ArchivePtr a = open_zip(path_);
  struct archive_entry* entry = nullptr;
  while (true) {
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      throw IoError(fmt::format("{}: damaged or not a .npz (ZIP) archive after {} member(s): {}",
                                path_.string(), members_.size(), archive_error_string(a.get())));
    }
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr || archive_entry_filetype(entry) != AE_IFREG) {
      archive_read_data_skip(a.get());
      continue;
    }
    NpzMember m;
    m.name = name;
    m.key = m.name.ends_with(".npy") ? m.name.substr(0, m.name.size() - 4) : m.name;
    m.size = archive_entry_size_is_set(entry)
                 ? static_cast<std::uint64_t>(archive_entry_size(entry))
                 : 0;
    m.file_offset = stored_data_offset(path_, archive_read_header_position(a.get()), m.name);
    m.stored = m.file_offset != 0;
    members_.push_back(std::move(m));
    if (archive_read_data_skip(a.get()) < ARCHIVE_WARN) {
      throw IoError(fmt::format("{}: damaged .npz (ZIP) archive: member '{}': {}", path_.string(),
                                members_.back().name, archive_error_string(a.get())));
    }
  }
}

const NpzMember* NpzFile::find(std::string_view key) const {
  for (const auto& m : members_)
    if (m.key == key) return &m;
  return nullptr;
}

std::string NpzFile::key_list() const {
  std::string keys;
  for (const auto& m : members_)
    keys += fmt::format("{}'{}'", keys.empty() ? "" : ", ", m.key);
  return keys.empty() ? "none" : keys;
}

const NpzMember& NpzFile::require(std::string_view key) const {
  const NpzMember* m = find(key);
  GENSWEEP_CHECK(m != nullptr, IoError, "{}: has no member '{}' (its members: {})", path_.string(),
                 key, key_list());
  return *m;
}

void NpzFile::inflate(const NpzMember& member, std::uint64_t max_bytes, bool whole,
                      std::vector<std::uint8_t>& out) const {
  const std::string what = fmt::format("{}: member {}", path_.string(), member.name);
  GENSWEEP_CHECK(!whole || member.size <= max_bytes, IoError,
                 "{}: declares {} bytes, more than the {} allowed; refused before inflating it",
                 what, member.size, max_bytes);
  ArchivePtr a = open_zip(path_);
  struct archive_entry* entry = nullptr;
  while (true) {
    const int rc = archive_read_next_header(a.get(), &entry);
    GENSWEEP_CHECK(rc != ARCHIVE_EOF, IoError, "{}: not found on a second reading of the archive",
                   what);
    GENSWEEP_CHECK(rc >= ARCHIVE_WARN, IoError, "{}: damaged archive: {}", what,
                   archive_error_string(a.get()));
    const char* name = archive_entry_pathname(entry);
    if (name != nullptr && member.name == name) break;
    archive_read_data_skip(a.get());
  }
  out.clear();
  out.reserve(std::min<std::uint64_t>(member.size, max_bytes));
  std::uint8_t block[1 << 16];
  while (true) {
    const la_ssize_t got = archive_read_data(a.get(), block, sizeof block);
    GENSWEEP_CHECK(got >= 0, IoError, "{}: damaged data: {}", what, archive_error_string(a.get()));
    if (got == 0) break;
    const std::uint64_t room = max_bytes - out.size();
    if (static_cast<std::uint64_t>(got) > room) {
      // A member that holds more than its header declares (or more than the limit): a zip bomb
      // or a damaged file. Stop here, whatever the header said.
      GENSWEEP_CHECK(!whole, IoError,
                     "{}: inflates to more than the {} bytes allowed (it declares {}); refused",
                     what, max_bytes, member.size);
      out.insert(out.end(), block, block + room);
      return;
    }
    out.insert(out.end(), block, block + got);
  }
  GENSWEEP_CHECK(!whole || member.size == 0 || out.size() == member.size, IoError,
                 "{}: truncated: {} bytes inflated, the archive declares {}", what, out.size(),
                 member.size);
}

std::vector<std::uint8_t> NpzFile::read(std::string_view key, std::uint64_t max_bytes) const {
  std::vector<std::uint8_t> bytes;
  inflate(require(key), max_bytes, true, bytes);
  return bytes;
}

NpyArrayHeader NpzFile::header(std::string_view key) const {
  const NpzMember& m = require(key);
  // Version 1.0 headers are below 64 KiB + 10 bytes; 2.0/3.0 headers larger than 1 MiB hold
  // structured dtypes no numeric reader wants.
  constexpr std::uint64_t kHeaderBytes = 1 << 20;
  std::vector<std::uint8_t> bytes;
  inflate(m, kHeaderBytes, false, bytes);
  return parse_npy_header(bytes, fmt::format("{}: member {}", path_.string(), m.name));
}

Float64Array NpzFile::read_float64(std::string_view key, std::uint64_t max_bytes) const {
  const NpzMember& m = require(key);
  const auto bytes = read(key, max_bytes);
  return decode_npy_float64(bytes, fmt::format("{}: member {}", path_.string(), m.name));
}

}  // namespace gensweep::store
