#include "gensweep/store/side_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <random>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/strings.h"
#include "hdf5_attributes.h"
#include "hdf5_errors.h"
#include "hdf5_handles.h"

namespace gensweep::store {
namespace {

using namespace detail;

// The sha256 is taken over the arrays' bytes in memory, which are the file's little-endian bytes.
static_assert(std::endian::native == std::endian::little, "side files assume a little-endian host");

constexpr const char* kFormatKey = "format";
constexpr const char* kVersionKey = "format_version";
constexpr const char* kArraysKey = "arrays";
constexpr const char* kDigestKey = "sha256";

bool valid_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
        return false;
    }
  }
  return true;
}

std::int64_t elements(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

template <typename T>
std::string digest_of(const std::vector<T>& values) {
  return sha256_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(T)));
}

void fsync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Removes the temporary file unless it was renamed into place.
class TempName {
 public:
  explicit TempName(std::filesystem::path path) : path_(std::move(path)) {}
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
  ~TempName() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::filesystem::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

// Unique per writer: processes on different hosts may share a pid, so a random suffix too.
std::filesystem::path temporary_name(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  static const std::uint64_t salt = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }();
  return path.parent_path() / fmt::format(".{}.tmp.{}.{}.{:016x}", path.filename().string(),
                                          ::getpid(), counter++, salt);
}

void write_array(hid_t file, const std::string& name, const SideArray& a,
                 const std::string& context) {
  const auto describe = [&] { return fmt::format("{}: cannot write array '{}'", context, name); };
  std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
  DataspaceHandle space(
      check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), describe));
  PropListHandle lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), describe));
  check_status(H5Pset_create_intermediate_group(lcpl.get(), 1), describe);
  PropListHandle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), describe));
  check_status(H5Pset_obj_track_times(dcpl.get(), 0), describe);
  const hid_t file_type = a.integer ? H5T_STD_I64LE : H5T_IEEE_F64LE;
  DatasetHandle ds(check_id(
      H5Dcreate2(file, name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
      describe));
  const void* data = a.integer ? static_cast<const void*>(a.integers.data())
                               : static_cast<const void*>(a.reals.data());
  if (elements(a.shape) > 0) {
    check_status(H5Dwrite(ds.get(), a.integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, H5S_ALL,
                          H5S_ALL, H5P_DEFAULT, data),
                 describe);
  }
  write_inline_string_attribute(ds.get(), kDigestKey,
                                a.integer ? digest_of(a.integers) : digest_of(a.reals), context);
  for (const auto& [key, value] : a.attributes)
    write_inline_string_attribute(ds.get(), key, value, context);
}

SideArray read_array(hid_t file, const std::string& name, const std::string& context) {
  const auto describe = [&] { return fmt::format("{}: cannot read array '{}'", context, name); };
  DatasetHandle ds(check_id(H5Dopen2(file, name.c_str(), H5P_DEFAULT), describe));
  DataspaceHandle space(check_id(H5Dget_space(ds.get()), describe));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  GENSWEEP_CHECK(rank >= 1 && rank <= 8, StoreError, "{}: array '{}' has {} dimensions", context,
                 name, rank);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  DatatypeHandle type(check_id(H5Dget_type(ds.get()), describe));
  const H5T_class_t cls = H5Tget_class(type.get());
  GENSWEEP_CHECK((cls == H5T_FLOAT || cls == H5T_INTEGER) && H5Tget_size(type.get()) == 8,
                 StoreError, "{}: array '{}' is not float64 or int64", context, name);
  SideArray a;
  a.shape.assign(dims.begin(), dims.end());
  a.integer = cls == H5T_INTEGER;
  const auto n = static_cast<std::size_t>(elements(a.shape));
  if (a.integer) {
    a.integers.resize(n);
    if (n > 0)
      check_status(
          H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.integers.data()),
          describe);
  } else {
    a.reals.resize(n);
    if (n > 0)
      check_status(
          H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.reals.data()),
          describe);
  }
  a.attributes = read_string_attributes(ds.get(), context);
  const auto digest = a.attributes.find(kDigestKey);
  GENSWEEP_CHECK(digest != a.attributes.end(), StoreError, "{}: array '{}' has no {} attribute",
                 context, name, kDigestKey);
  const std::string actual = a.integer ? digest_of(a.integers) : digest_of(a.reals);
  GENSWEEP_CHECK(digest->second == actual, StoreError,
                 "{}: array '{}' is damaged: its bytes have sha256 {}, the file records {}",
                 context, name, actual, digest->second);
  a.attributes.erase(digest);
  return a;
}

}  // namespace

void write_side_file(const std::filesystem::path& path, std::string_view format,
                     const SideFile& file) {
  quiet_hdf5();
  const std::string context = fmt::format("side file '{}'", path.string());
  std::string listing;
  for (const auto& [name, a] : file.arrays) {
    GENSWEEP_CHECK(valid_path(name), StoreError,
                   "{}: invalid array path '{}' (expected '/'-separated [A-Za-z0-9_.-]+ names)",
                   context, name);
    GENSWEEP_CHECK(!a.shape.empty(), StoreError, "{}: array '{}' has no dimensions", context, name);
    for (auto d : a.shape)
      GENSWEEP_CHECK(d >= 0, StoreError, "{}: array '{}' has a negative dimension {}", context,
                     name, d);
    const auto have = a.integer ? a.integers.size() : a.reals.size();
    GENSWEEP_CHECK(static_cast<std::int64_t>(have) == elements(a.shape), StoreError,
                   "{}: array '{}' holds {} values, its shape needs {}", context, name, have,
                   elements(a.shape));
    listing += (listing.empty() ? "" : "\n") + name;
  }
  for (const auto& key : {kFormatKey, kVersionKey, kArraysKey}) {
    GENSWEEP_CHECK(!file.attributes.count(key), StoreError,
                   "{}: attribute '{}' is the side file's own", context, key);
  }
  TempName temp(temporary_name(path));
  {
    const auto describe = [&] {
      return fmt::format("{}: cannot create '{}'", context, temp.path().string());
    };
    PropListHandle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), describe));
    // Checksummed superblock and object headers, readable by every HDF5 since 1.8 (as the stores).
    check_status(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), describe);
    PropListHandle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), describe));
    check_status(H5Pset_obj_track_times(fcpl.get(), 0), describe);
    check_status(H5Pset_attr_phase_change(fcpl.get(), 65535, 0), describe);
    FileHandle h5(
        check_id(H5Fcreate(temp.path().c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), describe));
    write_inline_string_attribute(h5.get(), kFormatKey, std::string(format), context);
    write_inline_string_attribute(h5.get(), kVersionKey, std::to_string(kSideFileFormatVersion),
                                  context);
    write_inline_string_attribute(h5.get(), kArraysKey, listing, context);
    for (const auto& [key, value] : file.attributes)
      write_inline_string_attribute(h5.get(), key, value, context);
    for (const auto& [name, a] : file.arrays)
      write_array(h5.get(), name, a, context);
    check_status(H5Fflush(h5.get(), H5F_SCOPE_GLOBAL),
                 [&] { return fmt::format("{}: cannot flush", context); });
    check_status(H5Fclose(h5.release()), [&] { return fmt::format("{}: cannot close", context); });
  }
  fsync_path(temp.path());
  std::error_code error;
  std::filesystem::rename(temp.path(), path, error);
  GENSWEEP_CHECK(!error, StoreError, "{}: cannot rename '{}' into place: {}", context,
                 temp.path().string(), error.message());
  temp.release();
  fsync_path(path.parent_path());
}

SideFile read_side_file(const std::filesystem::path& path, std::string_view format,
                        std::string_view prefix) {
  quiet_hdf5();
  const std::string context = fmt::format("side file '{}'", path.string());
  GENSWEEP_CHECK(std::filesystem::exists(path), StoreError, "{}: no such file", context);
  FileHandle h5(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                         [&] { return fmt::format("{}: not a readable HDF5 file", context); }));
  SideFile out;
  out.attributes = read_string_attributes(h5.get(), context);
  const auto take = [&](const char* key) -> std::optional<std::string> {
    auto it = out.attributes.find(key);
    if (it == out.attributes.end()) return std::nullopt;
    std::string value = it->second;
    out.attributes.erase(it);
    return value;
  };
  const auto found_format = take(kFormatKey);
  GENSWEEP_CHECK(found_format == std::string(format), StoreError,
                 "{}: not a {} file (attribute 'format' is {})", context, format,
                 found_format ? "'" + *found_format + "'" : "missing");
  const auto version = take(kVersionKey);
  GENSWEEP_CHECK(version == std::to_string(kSideFileFormatVersion), StoreError,
                 "{}: format_version {} is not {} (written by another gensweep version)", context,
                 version.value_or("missing"), kSideFileFormatVersion);
  const auto listing = take(kArraysKey);
  GENSWEEP_CHECK(listing.has_value(), StoreError, "{}: attribute 'arrays' is missing", context);
  if (listing->empty()) return out;
  for (const auto& name : split(*listing, '\n')) {
    GENSWEEP_CHECK(valid_path(name), StoreError, "{}: invalid array path '{}' in 'arrays'", context,
                   name);
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    out.arrays[name] = read_array(h5.get(), name, context);
  }
  return out;
}

}  // namespace gensweep::store
