#include "gensweep/store/feature_store.h"

#include "gensweep/core/log.h"
#include "gensweep/core/sha256.h"

#include "global_heap_check.h"
#include "hdf5_attributes.h"
#include "hdf5_errors.h"
#include "hdf5_handles.h"
#include "utf8.h"
#include "writer_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <system_error>

namespace gensweep::store {

using detail::check_id;
using detail::check_status;
using detail::DatasetHandle;
using detail::DataspaceHandle;
using detail::DatatypeHandle;
using detail::FileHandle;
using detail::GroupHandle;
using detail::PropListHandle;

namespace {

constexpr const char* kFeatures = "/features";
constexpr const char* kValid = "/valid";
constexpr const char* kIds = "/ids";
constexpr const char* kLogits = "/logits";
constexpr const char* kProgress = "/progress";
constexpr const char* kErrors = "/errors";
constexpr const char* kStats = "/stats";
constexpr const char* kStatsCount = "/stats/count";
constexpr const char* kStatsMean = "/stats/mean";
constexpr const char* kStatsScatter = "/stats/scatter";
constexpr const char* kUnitSizeAttribute = "unit_size";
// /stats/count holds this until statistics are written (0 is a legitimate count).
constexpr std::int64_t kNoStatistics = -1;
// Upper bound of an attribute message's size beyond its name and value (message header, datatype
// and dataspace encodings), for the free-space check in set_attribute.
constexpr std::size_t kAttributeOverheadBytes = 64;
// Chunks of ~1-4 MiB read and write efficiently on local disks and parallel file systems alike.
constexpr std::int64_t kMaxChunkBytes = std::int64_t{4} << 20;

std::string context_for(const std::filesystem::path& path) {
  return fmt::format("store '{}'", path.string());
}

// Rows per chunk for a [rows x cols] float32 dataset: the largest divisor of unit_size whose chunk
// stays within kMaxChunkBytes, so that a unit always covers whole chunks and writing one unit never
// rewrites bytes that belong to another.
hsize_t chunk_rows_for(const StoreLayout& layout, std::int64_t cols) {
  const std::int64_t row_bytes = cols * static_cast<std::int64_t>(sizeof(float));
  std::int64_t best = 1;
  for (std::int64_t d = 1; d <= layout.unit_size; ++d) {
    if (layout.unit_size % d == 0 && d * row_bytes <= kMaxChunkBytes) best = d;
  }
  return static_cast<hsize_t>(std::min(best, layout.rows));
}

std::string type_name(hid_t type) {
  const std::size_t bits = 8 * H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return fmt::format("float{}", bits);
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "variable-length string"
                                          : fmt::format("string[{}]", bits / 8);
    case H5T_COMPOUND:
      return "compound";
    default:
      return "another type";
  }
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i)
    text += (i ? " x " : "") + std::to_string(dims[i]);
  return text + "]";
}

// Does `path` ("/a/b") exist, checking each component so that a missing group is not an error?
bool link_exists(hid_t file, const std::string& path) {
  std::string partial;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    partial = path.substr(0, slash);
    if (H5Lexists(file, partial.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

// What a dataset must look like; 0 in `dims` means "any" (used for N and D before they are known).
struct Expectation {
  H5T_class_t type_class;
  std::size_t type_size;  // 0 = any (variable-length strings)
  std::vector<hsize_t> dims;
  std::string text;  // for messages: "float32 [N x D]"
};

DatasetHandle open_dataset(hid_t file, const char* name, const Expectation& expected,
                           const std::string& context, std::vector<hsize_t>* dims_out = nullptr) {
  if (!link_exists(file, name))
    throw StoreError(fmt::format(
        "{} is missing dataset '{}' (expected {}): the file is damaged or was not written by "
        "gensweep",
        context, name, expected.text));
  DatasetHandle dataset(check_id(H5Dopen2(file, name, H5P_DEFAULT), [&] {
    return fmt::format("{}: cannot open dataset '{}' (expected {})", context, name, expected.text);
  }));
  DatatypeHandle type(check_id(H5Dget_type(dataset.get()), [&] {
    return fmt::format("{}: cannot read the type of '{}'", context, name);
  }));
  DataspaceHandle space(check_id(H5Dget_space(dataset.get()), [&] {
    return fmt::format("{}: cannot read the shape of '{}'", context, name);
  }));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  bool ok = rank == static_cast<int>(expected.dims.size()) &&
            H5Tget_class(type.get()) == expected.type_class &&
            (expected.type_size == 0 || H5Tget_size(type.get()) == expected.type_size);
  for (std::size_t i = 0; ok && i < dims.size(); ++i)
    ok = expected.dims[i] == 0 || expected.dims[i] == dims[i];
  if (!ok)
    throw StoreError(fmt::format("{}: dataset '{}' is {} {}, expected {}", context, name,
                                 type_name(type.get()), shape_text(dims), expected.text));
  if (dims_out) *dims_out = dims;
  return dataset;
}

// A fixed-size dataset whose file space is allocated at creation and never initialised: later
// writes then touch raw data only, never HDF5 metadata (no chunk allocation, no index update),
// which is what makes unit writes crash-safe. Unwritten regions are holes in the file and read back
// as zeros.
DatasetHandle create_dataset(hid_t location, const char* name, hid_t type,
                             const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                             const std::string& context) {
  const auto describe = [&] {
    return fmt::format("{}: cannot create dataset '{}' {}", context, name, shape_text(dims));
  };
  DataspaceHandle space(
      check_id(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               describe));
  PropListHandle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), describe));
  if (!chunk.empty()) {
    check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), describe);
  }
  check_status(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), describe);
  check_status(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), describe);
  // No timestamps: identical inputs give identical files, and no write ever has a reason to touch
  // an object header.
  check_status(H5Pset_obj_track_times(dcpl.get(), 0), describe);
  return DatasetHandle(
      check_id(H5Dcreate2(location, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
               describe));
}

// Selects rows [begin, begin + count) (all columns) of a 1-D or 2-D dataset.
DataspaceHandle select_rows(hid_t dataset, std::int64_t begin, std::int64_t count,
                            const std::string& context, const char* name) {
  const auto describe = [&] {
    return fmt::format("{}: cannot select rows [{}, {}) of '{}'", context, begin, begin + count,
                       name);
  };
  DataspaceHandle space(check_id(H5Dget_space(dataset), describe));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::array<hsize_t, 2> dims{};
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::array<hsize_t, 2> start{static_cast<hsize_t>(begin), 0};
  std::array<hsize_t, 2> extent{static_cast<hsize_t>(count), rank == 2 ? dims[1] : 1};
  check_status(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                   extent.data(), nullptr),
               describe);
  return space;
}

DataspaceHandle memory_space(std::int64_t rows, std::int64_t cols) {
  std::array<hsize_t, 2> dims{static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  return DataspaceHandle(H5Screate_simple(cols > 0 ? 2 : 1, dims.data(), nullptr));
}

void write_rows(hid_t dataset, hid_t memory_type, std::int64_t begin, std::int64_t count,
                std::int64_t cols, const void* data, const std::string& context, const char* name) {
  if (count == 0) return;
  DataspaceHandle file_space = select_rows(dataset, begin, count, context, name);
  DataspaceHandle mem_space = memory_space(count, cols);
  check_status(H5Dwrite(dataset, memory_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data),
               [&] {
                 return fmt::format("{}: cannot write rows [{}, {}) of '{}'", context, begin,
                                    begin + count, name);
               });
}

void read_rows(hid_t dataset, hid_t memory_type, std::int64_t begin, std::int64_t count,
               std::int64_t cols, void* data, const std::string& context, const char* name) {
  if (count == 0) return;
  DataspaceHandle file_space = select_rows(dataset, begin, count, context, name);
  DataspaceHandle mem_space = memory_space(count, cols);
  check_status(H5Dread(dataset, memory_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data),
               [&] {
                 return fmt::format("{}: cannot read rows [{}, {}) of '{}'", context, begin,
                                    begin + count, name);
               });
}

void write_all(hid_t dataset, hid_t memory_type, const void* data, const std::string& context,
               const char* name) {
  check_status(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
               [&] { return fmt::format("{}: cannot write '{}'", context, name); });
}

void read_all(hid_t dataset, hid_t memory_type, void* data, const std::string& context,
              const char* name) {
  check_status(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
               [&] { return fmt::format("{}: cannot read '{}'", context, name); });
}

// True when the file carries the HDF5 signature where the format allows it (offset 0 or a
// power-of-two multiple of 512, after a user block).
bool has_hdf5_signature(const std::filesystem::path& path) {
  static constexpr char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return false;
  for (std::uintmax_t offset = 0; offset + 8 <= size; offset = offset ? offset * 2 : 512) {
    char buffer[8] = {};
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(buffer, 8)) return false;
    if (std::memcmp(buffer, kSignature, 8) == 0) return true;
  }
  return false;
}

// Where the on-disk references of a variable-length string dataset start, when the global-heap
// check understands them: contiguous storage, 8-byte offsets and lengths (what create() writes).
std::optional<std::uint64_t> vlen_reference_offset(hid_t file, hid_t dataset) {
  PropListHandle fcpl(H5Fget_create_plist(file));
  std::size_t offset_bytes = 0;
  std::size_t length_bytes = 0;
  DatatypeHandle type(H5Dget_type(dataset));
  const haddr_t offset = H5Dget_offset(dataset);
  H5Eclear2(H5E_DEFAULT);
  if (!fcpl || H5Pget_sizes(fcpl.get(), &offset_bytes, &length_bytes) < 0 || offset_bytes != 8 ||
      length_bytes != 8 || !type || H5Tis_variable_str(type.get()) <= 0 || offset == HADDR_UNDEF) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(offset);
}

void check_text(const std::string& text, const std::string& what, const std::string& context) {
  const std::size_t bad = detail::find_invalid_utf8(text);
  if (bad != std::string::npos)
    throw StoreError(
        fmt::format("{}: {} is not valid UTF-8 text (byte {} is invalid or a NUL character)",
                    context, what, bad));
}

void check_attribute_key(const std::string& key, const std::string& value,
                         const std::string& context) {
  GENSWEEP_CHECK(!key.empty(), StoreError, "{}: attribute names must not be empty", context);
  check_text(key, fmt::format("attribute name '{}'", key), context);
  check_text(value, fmt::format("the value of attribute '{}'", key), context);
  GENSWEEP_CHECK(key != kFormatAttribute, StoreError,
                 "{}: attribute '{}' is reserved (the store sets it to '{}')", context, key,
                 kFormatValue);
}

// Flushes the OS-level file too (HDF5's H5Fflush only hands the bytes to the kernel). Surviving a
// SIGKILL needs only H5Fflush; fdatasync also orders the rows before the done mark on the disk
// itself, so that a power loss cannot persist the mark without the rows.
void sync_descriptor(int fd, const std::string& context) {
  if (fd < 0) return;
  if (::fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS)
    throw StoreError(fmt::format("{}: cannot sync to disk: {}", context, std::strerror(errno)));
}

void sync_path(const std::filesystem::path& path, int flags, const std::string& context) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;  // best effort: directories cannot be opened on every file system
  const int status = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (status != 0 && error != EINVAL && error != EROFS)
    throw StoreError(fmt::format("{}: cannot sync '{}' to disk: {}", context, path.string(),
                                 std::strerror(error)));
}

}  // namespace

struct FeatureStore::Impl {
  // Member order matters: members are destroyed in reverse, so datasets close before the file and
  // the file closes before the writer lock is released.
  std::filesystem::path path;
  std::string context;
  bool writable = false;
  detail::WriterLock lock;
  FileHandle file;
  DatasetHandle features, valid, ids, logits, progress, errors;
  DatasetHandle stats_count, stats_mean, stats_scatter;
  StoreLayout layout;
  Attributes provenance;
  std::vector<std::uint8_t> done;  // mirror of /progress
  int fd = -1;                     // the file's descriptor, for fdatasync (writers only)

  void require_writable(const char* operation) const {
    GENSWEEP_CHECK(writable, StoreError, "{}: cannot {}: the store was opened read-only", context,
                   operation);
  }

  // Hands every dirty byte to the kernel, so that a SIGKILL after this returns cannot lose it.
  void flush(bool to_disk) {
    check_status(H5Fflush(file.get(), H5F_SCOPE_LOCAL),
                 [&] { return fmt::format("{}: cannot flush", context); });
    if (to_disk) sync_descriptor(fd, context);
  }

  void write_done_mark(std::int64_t unit, std::uint8_t value) {
    write_rows(progress.get(), H5T_NATIVE_UINT8, unit, 1, 0, &value, context, kProgress);
  }
};

// ---- opening ----------------------------------------------------------------------------------

namespace {

// Refuses what is not a regular file carrying the HDF5 signature.
void check_store_file(const std::filesystem::path& path, const std::string& context) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  GENSWEEP_CHECK(std::filesystem::exists(status), StoreError, "{} does not exist", context);
  GENSWEEP_CHECK(std::filesystem::is_regular_file(status), StoreError,
                 "{} is not a regular file (expected an HDF5 feature store)", context);

  // Checked before HDF5 sees the file: H5Fopen(H5F_ACC_RDWR) of an empty file silently writes a
  // new superblock into it.
  GENSWEEP_CHECK(has_hdf5_signature(path), StoreError,
                 "{} is not an HDF5 file (expected a gensweep feature store, format '{}')", context,
                 kFormatValue);
}

// What open_impl does when another process holds the file's HDF5 lock.
enum class WhenLocked { kThrow, kReturnNull };

// The opened file, or (when_locked = kReturnNull and another process holds the lock) an invalid
// handle.
FileHandle open_hdf5_file(const std::filesystem::path& path, bool writable,
                          const std::string& context, WhenLocked when_locked) {
  // Default file-access properties: HDF5's own flock (best effort on file systems without locks)
  // keeps readers and a writer of different processes apart.
  const hid_t file = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    const std::string detail = detail::take_hdf5_error();
    // HDF5 reports a held lock only in its error stack's text.
    if (detail.find("unable to lock file") != std::string::npos ||
        detail.find("lock request failed") != std::string::npos) {
      if (when_locked == WhenLocked::kReturnNull) return FileHandle();
      throw StoreError(fmt::format(
          "{} is open in another process (HDF5 file lock held; a writer excludes readers and "
          "readers exclude a writer) (HDF5: {})",
          context, detail));
    }
    if (detail.find("already open for read-only") != std::string::npos)
      throw StoreError(fmt::format(
          "{} is already open read-only in this process: close its readers before opening it "
          "for writing (HDF5: {})",
          context, detail));
    throw StoreError(
        fmt::format("{} is damaged or truncated: HDF5 cannot open it (HDF5: {})", context, detail));
  }
  return FileHandle(file);
}

// HDF5 1.10 crashes on a damaged global heap (global_heap_check.h), and attribute values live
// there. create() writes them first, into a collection allocated right after the root object
// header, which the first id then shares: that collection is checked both ways before any
// attribute is read.
void check_global_heap(hid_t file, const std::filesystem::path& path, const std::string& context) {
  detail::GlobalHeapCheck heap(path, context);
  H5O_info_t root{};
  if (H5Oget_info2(file, &root, H5O_INFO_BASIC | H5O_INFO_HDR) >= 0)
    heap.check_collection_if_present(root.addr + root.hdr.space.total, "attribute values");
  H5Eclear2(H5E_DEFAULT);
  if (link_exists(file, kIds)) {
    DatasetHandle ids(H5Dopen2(file, kIds, H5P_DEFAULT));
    DataspaceHandle space(ids ? H5Dget_space(ids.get()) : H5I_INVALID_HID);
    H5Eclear2(H5E_DEFAULT);
    if (space && H5Sget_simple_extent_ndims(space.get()) == 1 &&
        H5Sget_simple_extent_npoints(space.get()) > 0) {
      if (const auto offset = vlen_reference_offset(file, ids.get()))
        heap.check_references(*offset, 1, "'/ids'");
    }
  }
}

// The format attribute names a gensweep feature store, of a schema this gensweep reads.
void check_format_and_schema(hid_t file, const std::string& context) {
  const auto format = detail::read_string_attribute(file, std::string(kFormatAttribute), context);
  GENSWEEP_CHECK(format.has_value(), StoreError,
                 "{} is an HDF5 file but not a gensweep feature store: it has no '{}' attribute "
                 "(expected {} = '{}')",
                 context, kFormatAttribute, kFormatAttribute, kFormatValue);
  GENSWEEP_CHECK(*format == kFormatValue, StoreError,
                 "{} is not a gensweep feature store: attribute {} = '{}', expected '{}'", context,
                 kFormatAttribute, *format, kFormatValue);
  const auto version =
      detail::read_string_attribute(file, std::string(kSchemaVersionAttribute), context);
  GENSWEEP_CHECK(version.has_value(), StoreError,
                 "{} has no '{}' attribute (expected '{}'): the file is damaged", context,
                 kSchemaVersionAttribute, kSchemaVersion);
  int schema = 0;
  try {
    std::size_t used = 0;
    schema = std::stoi(*version, &used);
    if (used != version->size()) schema = 0;
  } catch (const std::exception&) {
    schema = 0;
  }
  GENSWEEP_CHECK(schema >= 1, StoreError, "{} has an unreadable {} '{}' (expected '{}')", context,
                 kSchemaVersionAttribute, *version, kSchemaVersion);
  GENSWEEP_CHECK(schema <= kSchemaVersion, StoreError,
                 "{} has {} {}, but this gensweep reads stores up to {} {}: it was written by a "
                 "newer gensweep (upgrade gensweep, or rebuild the store)",
                 context, kSchemaVersionAttribute, schema, kSchemaVersionAttribute, kSchemaVersion);
}

// Opens every dataset with the shape the layout implies and fills impl.layout.
void open_datasets(FeatureStore::Impl& impl) {
  const hid_t file = impl.file.get();
  const std::string& context = impl.context;
  std::vector<hsize_t> dims;
  impl.features =
      open_dataset(file, kFeatures, {H5T_FLOAT, 4, {0, 0}, "float32 [N x D]"}, context, &dims);
  const hsize_t rows = dims[0];
  const hsize_t dim = dims[1];
  GENSWEEP_CHECK(dim > 0, StoreError, "{}: dataset '{}' has 0 columns", context, kFeatures);
  impl.valid = open_dataset(file, kValid, {H5T_INTEGER, 1, {rows}, "uint8 [N]"}, context);
  impl.ids = open_dataset(file, kIds, {H5T_STRING, 0, {rows}, "string [N]"}, context);
  impl.errors = open_dataset(file, kErrors,
                             {H5T_STRING,
                              static_cast<std::size_t>(kMaxFailureReasonBytes),
                              {rows},
                              fmt::format("string[{}] [N]", kMaxFailureReasonBytes)},
                             context);
  impl.progress =
      open_dataset(file, kProgress, {H5T_INTEGER, 1, {0}, "uint8 [units]"}, context, &dims);
  const hsize_t units = dims[0];
  const auto unit_size =
      detail::read_int64_attribute(impl.progress.get(), kUnitSizeAttribute, context);
  GENSWEEP_CHECK(unit_size.has_value() && *unit_size > 0, StoreError,
                 "{}: dataset '{}' lacks a positive '{}' attribute: the file is damaged", context,
                 kProgress, kUnitSizeAttribute);
  const hsize_t expected_units =
      (rows + static_cast<hsize_t>(*unit_size) - 1) / static_cast<hsize_t>(*unit_size);
  GENSWEEP_CHECK(units == expected_units, StoreError,
                 "{}: dataset '{}' has {} units, expected {} ({} rows in units of {})", context,
                 kProgress, units, expected_units, rows, *unit_size);
  if (link_exists(file, kLogits)) {
    impl.logits =
        open_dataset(file, kLogits, {H5T_FLOAT, 4, {rows, 0}, "float32 [N x C]"}, context, &dims);
    impl.layout.logits_dim = static_cast<std::int64_t>(dims[1]);
  }
  impl.stats_count = open_dataset(file, kStatsCount, {H5T_INTEGER, 8, {}, "int64 scalar"}, context);
  impl.stats_mean = open_dataset(file, kStatsMean, {H5T_FLOAT, 8, {dim}, "float64 [D]"}, context);
  impl.stats_scatter =
      open_dataset(file, kStatsScatter, {H5T_FLOAT, 8, {dim, dim}, "float64 [D x D]"}, context);

  impl.layout.rows = static_cast<std::int64_t>(rows);
  impl.layout.dim = static_cast<std::int64_t>(dim);
  impl.layout.unit_size = *unit_size;
}

// The done-map mirror of /progress (every entry 0 or 1).
void read_progress(FeatureStore::Impl& impl) {
  const auto units = static_cast<std::size_t>((impl.layout.rows + impl.layout.unit_size - 1) /
                                              impl.layout.unit_size);
  impl.done.assign(units, 0);
  if (units > 0)
    read_all(impl.progress.get(), H5T_NATIVE_UINT8, impl.done.data(), impl.context, kProgress);
  for (std::size_t u = 0; u < impl.done.size(); ++u)
    GENSWEEP_CHECK(impl.done[u] <= 1, StoreError,
                   "{}: dataset '{}' holds {} for unit {} (expected 0 or 1): the file is damaged",
                   impl.context, kProgress, impl.done[u], u);
}

// The opened store; nullptr only when when_locked = kReturnNull and another process holds the
// file's HDF5 lock.
std::unique_ptr<FeatureStore::Impl> open_impl(const std::filesystem::path& path, bool writable,
                                              detail::WriterLock lock,
                                              WhenLocked when_locked = WhenLocked::kThrow) {
  detail::quiet_hdf5();
  auto impl = std::make_unique<FeatureStore::Impl>();
  impl->path = path;
  impl->context = context_for(path);
  impl->writable = writable;
  impl->lock = std::move(lock);
  const std::string& context = impl->context;

  check_store_file(path, context);
  impl->file = open_hdf5_file(path, writable, context, when_locked);
  if (!impl->file) return nullptr;
  const hid_t file = impl->file.get();
  check_global_heap(file, path, context);
  check_format_and_schema(file, context);
  open_datasets(*impl);

  impl->provenance = detail::read_string_attributes(file, context);
  impl->provenance.erase(std::string(kFormatAttribute));

  read_progress(*impl);

  if (writable) {
    void* handle = nullptr;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle)
      impl->fd = *static_cast<int*>(handle);
    H5Eclear2(H5E_DEFAULT);
  }
  return impl;
}

// Builds a complete, empty store at `path` (the temporary name; the caller renames it).
void build_store(const std::filesystem::path& path, const StoreLayout& layout,
                 const std::vector<std::string>& ids, const Attributes& provenance,
                 const std::string& context) {
  const auto describe = [&] {
    return fmt::format("{}: cannot create '{}'", context, path.string());
  };
  PropListHandle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), describe));
  // The 1.8 file format: checksummed superblock and object headers (damage is detected rather than
  // read as garbage), readable by every HDF5 since 1.8 (h5py included). Not the 1.10 "latest"
  // format: its superblock records "open for writing" and HDF5 then refuses to reopen the file
  // after a crash until someone runs h5clear.
  check_status(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), describe);
  PropListHandle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), describe));
  check_status(H5Pset_obj_track_times(fcpl.get(), 0), describe);
  // Root attributes stay in the root object header (never the dense fractal-heap storage), and the
  // header is created with about 2 KiB of free space (sized through the link estimate, the only
  // public knob), so set_attribute later rewrites that single block in place.
  check_status(H5Pset_attr_phase_change(fcpl.get(), 65535, 0), describe);
  check_status(H5Pset_link_phase_change(fcpl.get(), 64, 48), describe);
  check_status(H5Pset_est_link_info(fcpl.get(), 40, 40), describe);
  FileHandle file(
      check_id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), describe));
  const hid_t root = file.get();
  const hsize_t rows = static_cast<hsize_t>(layout.rows);
  const hsize_t dim = static_cast<hsize_t>(layout.dim);
  const hsize_t units =
      static_cast<hsize_t>((layout.rows + layout.unit_size - 1) / layout.unit_size);
  // Zero-size datasets cannot be chunked (chunk dims must not exceed fixed dims).
  const bool chunked = rows > 0;

  // Order matters for the global-heap check (global_heap_check.h): the attribute values go into
  // the first global heap collection, and the first id then lands in the same collection, so that
  // checking the collection of the first id's reference covers the attributes too.
  detail::write_string_attribute(root, std::string(kFormatAttribute), std::string(kFormatValue),
                                 context);
  detail::write_string_attribute(root, std::string(kSchemaVersionAttribute),
                                 std::to_string(kSchemaVersion), context);
  for (const auto& [key, value] : provenance) {
    if (key == kSchemaVersionAttribute) continue;
    detail::write_string_attribute(root, key, value, context);
  }

  {
    if (rows > 0) {
      // Variable-length data cannot use "never fill", so /ids keeps HDF5's defaults: it is written
      // once, here, before the store exists under its real name.
      DatatypeHandle id_type = detail::make_vlen_utf8_type();
      DataspaceHandle space(check_id(H5Screate_simple(1, &rows, nullptr), describe));
      PropListHandle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), describe));
      check_status(H5Pset_obj_track_times(dcpl.get(), 0), describe);
      DatasetHandle ids_dataset(check_id(
          H5Dcreate2(root, kIds, id_type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
          describe));
      std::vector<const char*> pointers(ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i)
        pointers[i] = ids[i].c_str();
      write_all(ids_dataset.get(), id_type.get(), pointers.data(), context, kIds);
    } else {
      DatatypeHandle id_type = detail::make_vlen_utf8_type();
      DataspaceHandle space(check_id(H5Screate_simple(1, &rows, nullptr), describe));
      DatasetHandle ids_dataset(check_id(
          H5Dcreate2(root, kIds, id_type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          describe));
    }
  }

  {
    DatasetHandle features =
        create_dataset(root, kFeatures, H5T_IEEE_F32LE, {rows, dim},
                       chunked ? std::vector<hsize_t>{chunk_rows_for(layout, layout.dim), dim}
                               : std::vector<hsize_t>{},
                       context);
    DatasetHandle valid = create_dataset(root, kValid, H5T_STD_U8LE, {rows}, {}, context);
    DatatypeHandle reason_type =
        detail::make_fixed_utf8_type(static_cast<std::size_t>(kMaxFailureReasonBytes));
    // One reason slot per row, chunked by unit so that the slots of units without failures stay
    // holes in the file (they are never written).
    DatasetHandle errors = create_dataset(
        root, kErrors, reason_type.get(), {rows},
        chunked
            ? std::vector<hsize_t>{std::min<hsize_t>(rows, static_cast<hsize_t>(layout.unit_size))}
            : std::vector<hsize_t>{},
        context);
    DatasetHandle progress = create_dataset(root, kProgress, H5T_STD_U8LE, {units}, {}, context);
    detail::write_int64_attribute(progress.get(), kUnitSizeAttribute, layout.unit_size, context);
    if (units > 0) {
      const std::vector<std::uint8_t> zeros(units, 0);
      write_all(progress.get(), H5T_NATIVE_UINT8, zeros.data(), context, kProgress);
    }
    if (layout.logits_dim > 0) {
      const hsize_t classes = static_cast<hsize_t>(layout.logits_dim);
      create_dataset(root, kLogits, H5T_IEEE_F32LE, {rows, classes},
                     chunked
                         ? std::vector<hsize_t>{chunk_rows_for(layout, layout.logits_dim), classes}
                         : std::vector<hsize_t>{},
                     context);
    }

    PropListHandle gcpl(check_id(H5Pcreate(H5P_GROUP_CREATE), describe));
    check_status(H5Pset_obj_track_times(gcpl.get(), 0), describe);
    GroupHandle stats(
        check_id(H5Gcreate2(root, kStats, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), describe));
    // Statistics are allocated now, like the rows, so that writing them later is raw data only.
    DatasetHandle count = create_dataset(root, kStatsCount, H5T_STD_I64LE, {}, {}, context);
    write_all(count.get(), H5T_NATIVE_INT64, &kNoStatistics, context, kStatsCount);
    create_dataset(root, kStatsMean, H5T_IEEE_F64LE, {dim}, {}, context);
    create_dataset(root, kStatsScatter, H5T_IEEE_F64LE, {dim, dim}, {}, context);
  }

  check_status(H5Fflush(root, H5F_SCOPE_LOCAL), describe);
  // Close explicitly (not in a destructor) so that a failure to write the last metadata is seen.
  check_status(H5Fclose(file.release()), describe);
}

}  // namespace

FeatureStore FeatureStore::create(const std::filesystem::path& path, const StoreLayout& layout,
                                  const std::vector<std::string>& ids,
                                  const Attributes& provenance) {
  detail::quiet_hdf5();
  const std::string context = context_for(path);
  GENSWEEP_CHECK(
      layout.rows >= 0 && layout.dim >= 1 && layout.unit_size >= 1 && layout.logits_dim >= 0,
      StoreError,
      "{}: invalid layout rows={} dim={} unit_size={} logits_dim={} (need rows >= 0, "
      "dim >= 1, unit_size >= 1, logits_dim >= 0)",
      context, layout.rows, layout.dim, layout.unit_size, layout.logits_dim);
  GENSWEEP_CHECK(static_cast<std::int64_t>(ids.size()) == layout.rows, StoreError,
                 "{}: {} ids given for {} rows", context, ids.size(), layout.rows);
  for (std::size_t i = 0; i < ids.size(); ++i)
    check_text(ids[i], fmt::format("id of row {}", i), context);
  for (const auto& [key, value] : provenance) {
    check_attribute_key(key, value, context);
    GENSWEEP_CHECK(key != kSchemaVersionAttribute || value == std::to_string(kSchemaVersion),
                   StoreError, "{}: attribute '{}' is set by the store (to '{}'), got '{}'",
                   context, key, kSchemaVersion, value);
  }

  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  // The lock comes first: HDF5 would truncate a file another writer is using before noticing it.
  detail::WriterLock lock = detail::WriterLock::acquire(path);

  // Build under a temporary name, then rename: a crash leaves either no store or a complete empty
  // one at `path`, never a half-initialised file, and an old store stays intact until replaced.
  std::filesystem::path partial = path;
  partial += ".partial";
  std::filesystem::remove(partial, ec);
  try {
    build_store(partial, layout, ids, provenance, context);
    sync_path(partial, O_RDONLY, context);
    std::filesystem::rename(partial, path);
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove(partial, ec);
    throw StoreError(fmt::format("{}: cannot create the store: {}", context, e.what()));
  } catch (...) {
    std::filesystem::remove(partial, ec);
    throw;
  }
  sync_path(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."),
            O_RDONLY | O_DIRECTORY, context);
  return FeatureStore(open_impl(path, true, std::move(lock)));
}

FeatureStore FeatureStore::open_read(const std::filesystem::path& path) {
  return FeatureStore(open_impl(path, false, detail::WriterLock()));
}

std::optional<FeatureStore> FeatureStore::open_read_unless_locked(
    const std::filesystem::path& path) {
  auto impl = open_impl(path, false, detail::WriterLock(), WhenLocked::kReturnNull);
  if (!impl) return std::nullopt;
  return FeatureStore(std::move(impl));
}

FeatureStore FeatureStore::open_write(const std::filesystem::path& path) {
  detail::quiet_hdf5();
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::exists(path, ec), StoreError, "{} does not exist",
                 context_for(path));
  return FeatureStore(open_impl(path, true, detail::WriterLock::acquire(path)));
}

FeatureStore::FeatureStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeatureStore::FeatureStore(FeatureStore&&) noexcept = default;
FeatureStore& FeatureStore::operator=(FeatureStore&&) noexcept = default;
FeatureStore::~FeatureStore() = default;

const FeatureStore::Impl& FeatureStore::impl() const {
  GENSWEEP_ASSERT(impl_ != nullptr, "use of a moved-from FeatureStore");
  return *impl_;
}
FeatureStore::Impl& FeatureStore::impl() {
  GENSWEEP_ASSERT(impl_ != nullptr, "use of a moved-from FeatureStore");
  return *impl_;
}

// ---- queries ----------------------------------------------------------------------------------

const Attributes& FeatureStore::provenance() const {
  return impl().provenance;
}
const StoreLayout& FeatureStore::layout() const {
  return impl().layout;
}
const std::filesystem::path& FeatureStore::path() const {
  return impl().path;
}
bool FeatureStore::writable() const {
  return impl().writable;
}

std::int64_t FeatureStore::num_units() const {
  return static_cast<std::int64_t>(impl().done.size());
}

std::int64_t FeatureStore::unit_begin(std::int64_t unit) const {
  const Impl& s = impl();
  GENSWEEP_CHECK(unit >= 0 && unit < num_units(), StoreError, "{}: unit {} out of range [0, {})",
                 s.context, unit, num_units());
  return unit * s.layout.unit_size;
}

std::int64_t FeatureStore::unit_end(std::int64_t unit) const {
  return std::min(impl().layout.rows, unit_begin(unit) + impl().layout.unit_size);
}

std::vector<std::uint8_t> FeatureStore::progress() const {
  return impl().done;
}

bool FeatureStore::is_complete() const {
  const auto& done = impl().done;
  return std::all_of(done.begin(), done.end(), [](std::uint8_t d) { return d == 1; });
}

// ---- unit writes ------------------------------------------------------------------------------

void FeatureStore::write_unit(std::int64_t unit, FeatureView features,
                              std::span<const std::uint8_t> valid,
                              const std::vector<Failure>& failures, FeatureView logits) {
  Impl& s = impl();
  s.require_writable("write a unit");
  const std::int64_t begin = unit_begin(unit);
  const std::int64_t end = unit_end(unit);
  const std::int64_t n = end - begin;
  const std::string where = fmt::format("{}: unit {} (rows [{}, {}))", s.context, unit, begin, end);

  GENSWEEP_CHECK(
      features.rows == n && features.cols == s.layout.dim && (n == 0 || features.data != nullptr),
      StoreError, "{}: features are [{} x {}], expected [{} x {}]", where, features.rows,
      features.cols, n, s.layout.dim);
  GENSWEEP_CHECK(static_cast<std::int64_t>(valid.size()) == n, StoreError,
                 "{}: {} valid flags, expected {}", where, valid.size(), n);
  for (std::size_t i = 0; i < valid.size(); ++i)
    GENSWEEP_CHECK(valid[i] <= 1, StoreError, "{}: valid flag of row {} is {}, expected 0 or 1",
                   where, begin + static_cast<std::int64_t>(i), valid[i]);
  if (s.layout.logits_dim > 0) {
    GENSWEEP_CHECK(logits.rows == n && logits.cols == s.layout.logits_dim &&
                       (n == 0 || logits.data != nullptr),
                   StoreError, "{}: logits are [{} x {}], expected [{} x {}]", where, logits.rows,
                   logits.cols, n, s.layout.logits_dim);
  } else {
    GENSWEEP_CHECK(logits.rows == 0, StoreError,
                   "{}: {} rows of logits given, but the store has no /logits dataset", where,
                   logits.rows);
  }
  std::vector<char> reasons;
  if (std::find(valid.begin(), valid.end(), 0) != valid.end()) {
    // Every slot of the unit is rewritten (valid rows get an empty reason), so a reason left by an
    // interrupted earlier attempt can never outlive it.
    reasons.assign(static_cast<std::size_t>(n * kMaxFailureReasonBytes), '\0');
  }
  std::set<std::int64_t> seen;
  for (const Failure& failure : failures) {
    GENSWEEP_CHECK(failure.row >= begin && failure.row < end, StoreError,
                   "{}: failure of row {} lies outside the unit", where, failure.row);
    GENSWEEP_CHECK(valid[static_cast<std::size_t>(failure.row - begin)] == 0, StoreError,
                   "{}: row {} has a failure ('{}') but is marked valid", where, failure.row,
                   failure.reason);
    GENSWEEP_CHECK(seen.insert(failure.row).second, StoreError,
                   "{}: row {} has more than one failure", where, failure.row);
    const std::string text =
        detail::sanitize_utf8(failure.reason, static_cast<std::size_t>(kMaxFailureReasonBytes));
    std::memcpy(reasons.data() + (failure.row - begin) * kMaxFailureReasonBytes, text.data(),
                text.size());
  }

  // 1. A done unit being rewritten loses its mark first: its rows are about to change.
  if (s.done[static_cast<std::size_t>(unit)]) {
    s.write_done_mark(unit, 0);
    s.flush(false);
    s.done[static_cast<std::size_t>(unit)] = 0;
  }
  // 2. The rows. All of these datasets were allocated at creation, so this is raw data only.
  write_rows(s.features.get(), H5T_NATIVE_FLOAT, begin, n, s.layout.dim, features.data, s.context,
             kFeatures);
  write_rows(s.valid.get(), H5T_NATIVE_UINT8, begin, n, 0, valid.data(), s.context, kValid);
  if (s.layout.logits_dim > 0)
    write_rows(s.logits.get(), H5T_NATIVE_FLOAT, begin, n, s.layout.logits_dim, logits.data,
               s.context, kLogits);
  if (!reasons.empty()) {
    DatatypeHandle reason_type =
        detail::make_fixed_utf8_type(static_cast<std::size_t>(kMaxFailureReasonBytes));
    write_rows(s.errors.get(), reason_type.get(), begin, n, 0, reasons.data(), s.context, kErrors);
  }
  // 3. Rows reach the kernel (and the disk) before the mark is written...
  s.flush(true);
  // 4. ...then the mark: one byte, the unit's commit point...
  s.write_done_mark(unit, 1);
  // 5. ...handed to the kernel before write_unit returns, so a finished unit survives a SIGKILL.
  s.flush(false);
  s.done[static_cast<std::size_t>(unit)] = 1;
}

// ---- reads ------------------------------------------------------------------------------------

void FeatureStore::read_features(std::int64_t row_begin, std::int64_t count, float* out) const {
  const Impl& s = impl();
  GENSWEEP_CHECK(row_begin >= 0 && count >= 0 && row_begin + count <= s.layout.rows, StoreError,
                 "{}: rows [{}, {}) out of range [0, {})", s.context, row_begin, row_begin + count,
                 s.layout.rows);
  read_rows(s.features.get(), H5T_NATIVE_FLOAT, row_begin, count, s.layout.dim, out, s.context,
            kFeatures);
}

void FeatureStore::read_logits(std::int64_t row_begin, std::int64_t count, float* out) const {
  const Impl& s = impl();
  GENSWEEP_CHECK(s.layout.logits_dim > 0, StoreError, "{} has no logits (no '{}' dataset)",
                 s.context, kLogits);
  GENSWEEP_CHECK(row_begin >= 0 && count >= 0 && row_begin + count <= s.layout.rows, StoreError,
                 "{}: rows [{}, {}) out of range [0, {})", s.context, row_begin, row_begin + count,
                 s.layout.rows);
  read_rows(s.logits.get(), H5T_NATIVE_FLOAT, row_begin, count, s.layout.logits_dim, out, s.context,
            kLogits);
}

std::vector<std::uint8_t> FeatureStore::read_valid() const {
  const Impl& s = impl();
  std::vector<std::uint8_t> valid(static_cast<std::size_t>(s.layout.rows));
  if (!valid.empty()) read_all(s.valid.get(), H5T_NATIVE_UINT8, valid.data(), s.context, kValid);
  return valid;
}

std::vector<std::string> FeatureStore::read_ids() const {
  const Impl& s = impl();
  std::vector<std::string> ids;
  if (s.layout.rows == 0) return ids;
  DatatypeHandle file_type(check_id(H5Dget_type(s.ids.get()), [&] {
    return fmt::format("{}: cannot read the type of '{}'", s.context, kIds);
  }));
  GENSWEEP_CHECK(H5Tis_variable_str(file_type.get()) > 0, StoreError,
                 "{}: dataset '{}' holds fixed-length strings, expected variable-length", s.context,
                 kIds);
  if (const auto offset = vlen_reference_offset(s.file.get(), s.ids.get()))
    detail::GlobalHeapCheck(s.path, s.context).check_references(*offset, s.layout.rows, "'/ids'");
  // Read with the file's own string type: HDF5 does not convert between character sets.
  DatatypeHandle memory_type(H5Tcopy(file_type.get()));
  std::vector<char*> pointers(static_cast<std::size_t>(s.layout.rows), nullptr);
  read_all(s.ids.get(), memory_type.get(), pointers.data(), s.context, kIds);
  ids.reserve(pointers.size());
  for (char* p : pointers)
    ids.emplace_back(p ? p : "");
  DataspaceHandle space(H5Dget_space(s.ids.get()));
  // H5Dvlen_reclaim is the 1.10 name (H5Treclaim from 1.12 on).
  H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return ids;
}

std::vector<Failure> FeatureStore::read_failures() const {
  const Impl& s = impl();
  const std::vector<std::uint8_t> valid = read_valid();
  std::vector<hsize_t> rows;
  for (std::int64_t r = 0; r < s.layout.rows; ++r) {
    if (valid[static_cast<std::size_t>(r)] == 0 &&
        s.done[static_cast<std::size_t>(r / s.layout.unit_size)] == 1)
      rows.push_back(static_cast<hsize_t>(r));
  }
  std::vector<Failure> failures;
  if (rows.empty()) return failures;
  // Point selection: only the slots of failed rows are read, however large the store.
  const auto describe = [&] { return fmt::format("{}: cannot read '{}'", s.context, kErrors); };
  DataspaceHandle file_space(check_id(H5Dget_space(s.errors.get()), describe));
  check_status(H5Sselect_elements(file_space.get(), H5S_SELECT_SET, rows.size(), rows.data()),
               describe);
  const hsize_t count = rows.size();
  DataspaceHandle mem_space(check_id(H5Screate_simple(1, &count, nullptr), describe));
  DatatypeHandle reason_type =
      detail::make_fixed_utf8_type(static_cast<std::size_t>(kMaxFailureReasonBytes));
  std::vector<char> buffer(rows.size() * static_cast<std::size_t>(kMaxFailureReasonBytes));
  check_status(H5Dread(s.errors.get(), reason_type.get(), mem_space.get(), file_space.get(),
                       H5P_DEFAULT, buffer.data()),
               describe);
  failures.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const char* slot = buffer.data() + i * static_cast<std::size_t>(kMaxFailureReasonBytes);
    const std::size_t length = strnlen(slot, static_cast<std::size_t>(kMaxFailureReasonBytes));
    failures.push_back({static_cast<std::int64_t>(rows[i]), std::string(slot, length)});
  }
  return failures;
}

// ---- statistics -------------------------------------------------------------------------------

void FeatureStore::write_statistics(const StoredStatistics& stats) {
  Impl& s = impl();
  s.require_writable("write statistics");
  const auto d = static_cast<std::size_t>(s.layout.dim);
  GENSWEEP_CHECK(stats.count >= 0 && stats.mean.size() == d && stats.scatter.size() == d * d,
                 StoreError,
                 "{}: statistics have count {}, {} means and {} scatter entries; expected count "
                 ">= 0, {} and {}",
                 s.context, stats.count, stats.mean.size(), stats.scatter.size(), d, d * d);
  // Retract the old count first, then write the arrays, then the count: a crash in between leaves
  // "no statistics", never a count that vouches for a half-written matrix.
  write_all(s.stats_count.get(), H5T_NATIVE_INT64, &kNoStatistics, s.context, kStatsCount);
  s.flush(false);
  write_all(s.stats_mean.get(), H5T_NATIVE_DOUBLE, stats.mean.data(), s.context, kStatsMean);
  write_all(s.stats_scatter.get(), H5T_NATIVE_DOUBLE, stats.scatter.data(), s.context,
            kStatsScatter);
  s.flush(true);
  write_all(s.stats_count.get(), H5T_NATIVE_INT64, &stats.count, s.context, kStatsCount);
  s.flush(true);
}

bool FeatureStore::has_statistics() const {
  const Impl& s = impl();
  std::int64_t count = kNoStatistics;
  read_all(s.stats_count.get(), H5T_NATIVE_INT64, &count, s.context, kStatsCount);
  return count != kNoStatistics;
}

std::string FeatureStore::statistics_digest() const {
  const Impl& s = impl();
  std::int64_t count = kNoStatistics;
  read_all(s.stats_count.get(), H5T_NATIVE_INT64, &count, s.context, kStatsCount);
  GENSWEEP_CHECK(count >= 0, StoreError, "{}: the store has no statistics yet", s.context);
  std::vector<double> mean(static_cast<std::size_t>(s.layout.dim));
  read_all(s.stats_mean.get(), H5T_NATIVE_DOUBLE, mean.data(), s.context, kStatsMean);
  static_assert(std::endian::native == std::endian::little, "the digest is of little-endian bytes");
  Sha256 h;
  h.update(&count, sizeof count);
  h.update(mean.data(), mean.size() * sizeof(double));
  return h.hex_digest();
}

std::optional<StoredStatistics> FeatureStore::read_statistics() const {
  const Impl& s = impl();
  StoredStatistics stats;
  read_all(s.stats_count.get(), H5T_NATIVE_INT64, &stats.count, s.context, kStatsCount);
  if (stats.count == kNoStatistics) return std::nullopt;
  GENSWEEP_CHECK(stats.count >= 0, StoreError,
                 "{}: '{}' holds {} (expected a count >= 0, or -1 for none): the file is damaged",
                 s.context, kStatsCount, stats.count);
  const auto d = static_cast<std::size_t>(s.layout.dim);
  stats.mean.resize(d);
  stats.scatter.resize(d * d);
  read_all(s.stats_mean.get(), H5T_NATIVE_DOUBLE, stats.mean.data(), s.context, kStatsMean);
  read_all(s.stats_scatter.get(), H5T_NATIVE_DOUBLE, stats.scatter.data(), s.context,
           kStatsScatter);
  return stats;
}

// ---- attributes -------------------------------------------------------------------------------

void FeatureStore::set_attribute(const std::string& key, const std::string& value) {
  Impl& s = impl();
  s.require_writable("set an attribute");
  check_attribute_key(key, value, s.context);
  GENSWEEP_CHECK(key != kSchemaVersionAttribute, StoreError,
                 "{}: attribute '{}' is reserved (the store sets it)", s.context, key);
  // HDF5 1.10 cannot change metadata atomically, so this is arranged to change exactly one block:
  // the value is stored inline (fixed-length string, no global-heap object) in the root object
  // header, which create() sized with room to spare and which lies in the file's first 4 KiB page
  // (a write within one page is never torn by SIGKILL). That holds while the header has room and
  // the key is not one of the variable-length provenance attributes written by create().
  H5O_info_t info{};
  const bool room = H5Oget_info2(s.file.get(), &info, H5O_INFO_HDR) >= 0 &&
                    info.hdr.space.free >= key.size() + value.size() + kAttributeOverheadBytes;
  H5Eclear2(H5E_DEFAULT);
  if (!room || detail::is_variable_length_string_attribute(s.file.get(), key))
    log::warn(
        "{}: setting attribute '{}' needs more than one HDF5 metadata block (the root "
        "object header is full, or the attribute was written at creation), so it is not "
        "crash-atomic: a SIGKILL during it can leave the store unreadable",
        s.context, key);
  detail::write_inline_string_attribute(s.file.get(), key, value, s.context);
  s.flush(true);
  s.provenance[key] = value;
}

}  // namespace gensweep::store
