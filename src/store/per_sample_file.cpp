#include "gensweep/store/per_sample_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fcntl.h>

#include "gensweep/core/error.h"
#include "hdf5_attributes.h"
#include "hdf5_errors.h"
#include "hdf5_handles.h"

namespace gensweep::store {
namespace {

using namespace detail;

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

template <typename T>
void write_dataset(hid_t file, const std::string& name, const std::vector<T>& values, hid_t type,
                   const std::string& context) {
  const hsize_t dims[1] = {values.size()};
  DataspaceHandle space(check_id(H5Screate_simple(1, dims, nullptr), [&] {
    return fmt::format("{}: dataspace of {}", context, name);
  }));
  DatasetHandle ds(check_id(
      H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      [&] { return fmt::format("{}: cannot create dataset {}", context, name); }));
  if (!values.empty()) {
    check_status(H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                 [&] { return fmt::format("{}: cannot write dataset {}", context, name); });
  }
}

void fsync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_per_sample_file(const std::filesystem::path& path, const PerSampleData& data) {
  quiet_hdf5();
  const std::string context = fmt::format("per-sample file '{}'", path.string());
  for (const auto& [name, v] : data.reals) {
    GENSWEEP_CHECK(valid_name(name), StoreError, "{}: invalid dataset name '{}'", context, name);
  }
  for (const auto& [name, v] : data.integers) {
    GENSWEEP_CHECK(valid_name(name) && !data.reals.count(name), StoreError,
                   "{}: invalid or repeated dataset name '{}'", context, name);
  }
  std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path partial = path.string() + ".partial";
  {
    FileHandle file(check_id(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                             [&] { return fmt::format("{}: cannot create the file", context); }));
    std::map<std::string, std::string> attributes = data.attributes;
    attributes["format"] = kPerSampleFormat;
    attributes["format_version"] = std::to_string(kPerSampleFormatVersion);
    for (const auto& [key, value] : attributes)
      write_string_attribute(file.get(), key, value, context);
    for (const auto& [name, values] : data.reals)
      write_dataset(file.get(), name, values, H5T_IEEE_F64LE, context);
    for (const auto& [name, values] : data.integers)
      write_dataset(file.get(), name, values, H5T_STD_I64LE, context);
    check_status(H5Fflush(file.get(), H5F_SCOPE_GLOBAL),
                 [&] { return fmt::format("{}: cannot flush", context); });
    check_status(H5Fclose(file.release()),
                 [&] { return fmt::format("{}: cannot close", context); });
  }
  fsync_path(partial);
  std::filesystem::rename(partial, path);
  fsync_path(path.parent_path());
}

PerSampleData read_per_sample_file(const std::filesystem::path& path) {
  quiet_hdf5();
  const std::string context = fmt::format("per-sample file '{}'", path.string());
  GENSWEEP_CHECK(std::filesystem::exists(path), StoreError, "{}: no such file", context);
  FileHandle file(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                           [&] { return fmt::format("{}: not an HDF5 file", context); }));
  const auto format = read_string_attribute(file.get(), "format", context);
  GENSWEEP_CHECK(format && *format == kPerSampleFormat, StoreError,
                 "{}: not a gensweep per-sample file (attribute 'format' is {})", context,
                 format ? "'" + *format + "'" : "missing");
  const auto version = read_string_attribute(file.get(), "format_version", context);
  GENSWEEP_CHECK(version && *version == std::to_string(kPerSampleFormatVersion), StoreError,
                 "{}: format_version {} is not {} (written by another gensweep version)", context,
                 version.value_or("missing"), kPerSampleFormatVersion);
  PerSampleData out;
  for (const auto& [key, value] : read_string_attributes(file.get(), context))
    out.attributes[key] = value;
  H5G_info_t group;
  check_status(H5Gget_info(file.get(), &group),
               [&] { return fmt::format("{}: cannot list datasets", context); });
  for (hsize_t i = 0; i < group.nlinks; ++i) {
    char name[256] = {};
    H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                       H5P_DEFAULT);
    DatasetHandle ds(check_id(H5Dopen2(file.get(), name, H5P_DEFAULT), [&] {
      return fmt::format("{}: cannot open dataset {}", context, name);
    }));
    DataspaceHandle space(H5Dget_space(ds.get()));
    GENSWEEP_CHECK(H5Sget_simple_extent_ndims(space.get()) == 1, StoreError,
                   "{}: dataset {} is not one-dimensional", context, name);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    DatatypeHandle type(H5Dget_type(ds.get()));
    const bool is_float = H5Tget_class(type.get()) == H5T_FLOAT;
    auto read = [&](auto& values, hid_t mem_type) {
      values.resize(n);
      if (n == 0) return;
      check_status(H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                   [&] { return fmt::format("{}: cannot read dataset {}", context, name); });
    };
    if (is_float) {
      read(out.reals[name], H5T_NATIVE_DOUBLE);
    } else {
      read(out.integers[name], H5T_NATIVE_INT64);
    }
  }
  return out;
}

}  // namespace gensweep::store
