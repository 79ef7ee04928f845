#include "gensweep/store/external_features.h"

#include "hdf5_errors.h"
#include "hdf5_handles.h"
#include "npy_reader.h"

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace gensweep::store {

using detail::check_id;
using detail::check_status;
using detail::DatasetHandle;
using detail::DataspaceHandle;
using detail::DatatypeHandle;
using detail::FileHandle;
using detail::PropListHandle;

namespace {

herr_t collect_name(hid_t group, const char* name, const H5L_info_t* /*info*/, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  H5O_info_t info{};
  const bool is_group =
      H5Oget_info_by_name(group, name, &info, H5P_DEFAULT) >= 0 && info.type == H5O_TYPE_GROUP;
  names->push_back(std::string("/") + name + (is_group ? "/" : ""));
  return 0;
}

std::string top_level_names(hid_t file) {
  std::vector<std::string> names;
  hsize_t index = 0;
  H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names);
  H5Eclear2(H5E_DEFAULT);
  if (names.empty()) return "the file has no top-level objects";
  std::sort(names.begin(), names.end());
  return "top-level names: " + join(names, ", ");
}

bool object_exists(hid_t file, const std::string& path) {
  // Check each component, so that "/missing/x" is "not found", not an HDF5 error.
  std::size_t start = path.front() == '/' ? 1 : 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string partial = path.substr(0, slash);
    if (!partial.empty() && partial != "/" && H5Lexists(file, partial.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

FeatureMatrix read_hdf5_features(const std::filesystem::path& file_path, std::string dataset_path) {
  detail::quiet_hdf5();
  if (dataset_path.empty() || dataset_path.front() != '/') dataset_path = "/" + dataset_path;
  const std::string context =
      fmt::format("external features '{}:{}'", file_path.string(), dataset_path);
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::exists(file_path, ec), IoError, "{}: file '{}' does not exist",
                 context, file_path.string());
  FileHandle file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file)
    throw IoError(detail::with_hdf5_detail(
        fmt::format("{}: cannot open '{}' as an HDF5 file", context, file_path.string())));
  if (!object_exists(file.get(), dataset_path))
    throw IoError(fmt::format("{}: no dataset '{}' in the file ({})", context, dataset_path,
                              top_level_names(file.get())));
  H5O_info_t info{};
  check_status<IoError>(
      H5Oget_info_by_name(file.get(), dataset_path.c_str(), &info, H5P_DEFAULT),
      [&] { return fmt::format("{}: cannot inspect '{}'", context, dataset_path); });
  GENSWEEP_CHECK(info.type == H5O_TYPE_DATASET, IoError, "{}: '{}' is a group, not a dataset ({})",
                 context, dataset_path, top_level_names(file.get()));
  DatasetHandle dataset(
      check_id<IoError>(H5Dopen2(file.get(), dataset_path.c_str(), H5P_DEFAULT),
                        [&] { return fmt::format("{}: cannot open the dataset", context); }));
  DatatypeHandle type(check_id<IoError>(H5Dget_type(dataset.get()), [&] {
    return fmt::format("{}: cannot read the dataset's type", context);
  }));
  DataspaceHandle space(check_id<IoError>(H5Dget_space(dataset.get()), [&] {
    return fmt::format("{}: cannot read the dataset's shape", context);
  }));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const std::size_t size = H5Tget_size(type.get());
  if (H5Tget_class(type.get()) != H5T_FLOAT || (size != 4 && size != 8)) {
    const char* kind = H5Tget_class(type.get()) == H5T_INTEGER  ? "integer"
                       : H5Tget_class(type.get()) == H5T_FLOAT  ? "float"
                       : H5Tget_class(type.get()) == H5T_STRING ? "string"
                                                                : "non-numeric";
    throw IoError(fmt::format("{}: dataset has dtype {}{}; expected float32 or float64", context,
                              kind, 8 * size));
  }
  if (rank != 2) {
    std::string shape;
    for (std::size_t i = 0; i < dims.size(); ++i)
      shape += (i ? " x " : "") + std::to_string(dims[i]);
    throw IoError(
        fmt::format("{}: dataset is {}-D [{}]; expected 2-D [N x D]", context, rank, shape));
  }
  const auto rows = static_cast<std::int64_t>(dims[0]);
  const auto cols = static_cast<std::int64_t>(dims[1]);
  FeatureMatrix matrix(rows, cols);
  if (rows == 0 || cols == 0) return matrix;
  if (size == 4) {
    // HDF5 converts the byte order if the file's differs.
    check_status<IoError>(H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  matrix.values.data()),
                          [&] { return fmt::format("{}: cannot read the data", context); });
    return matrix;
  }
  // float64: read blocks of rows as double and round each value to the nearest float here, rather
  // than relying on HDF5's own conversion rules for out-of-range values.
  const std::int64_t block_rows = std::max<std::int64_t>(1, (std::int64_t{1} << 20) / cols);
  std::vector<double> block(static_cast<std::size_t>(std::min(block_rows, rows) * cols));
  for (std::int64_t begin = 0; begin < rows; begin += block_rows) {
    const std::int64_t n = std::min(block_rows, rows - begin);
    hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
    hsize_t count[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(cols)};
    DataspaceHandle file_space(H5Dget_space(dataset.get()));
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    DataspaceHandle memory(H5Screate_simple(2, count, nullptr));
    check_status<IoError>(
        H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), file_space.get(), H5P_DEFAULT,
                block.data()),
        [&] { return fmt::format("{}: cannot read rows [{}, {})", context, begin, begin + n); });
    float* out = matrix.row(begin);
    for (std::int64_t i = 0; i < n * cols; ++i)
      out[i] = static_cast<float>(block[i]);
  }
  return matrix;
}

}  // namespace

FeatureMatrix load_external_features(const std::string& spec) {
  GENSWEEP_CHECK(!spec.empty(), IoError, "external features: empty file name");
  if (ends_with_ci(spec, ".npy")) {
    const std::filesystem::path path(spec);
    std::error_code ec;
    GENSWEEP_CHECK(std::filesystem::exists(path, ec), IoError,
                   "external features '{}': file does not exist", spec);
    return detail::read_npy_features(path);
  }
  // "file:/dataset": split at the last ':' (file names may contain ':'; dataset names rarely do).
  const std::size_t colon = spec.rfind(':');
  if (colon != std::string::npos && colon > 0 && colon + 1 < spec.size())
    return read_hdf5_features(spec.substr(0, colon), spec.substr(colon + 1));
  if (ends_with_ci(spec, ".h5") || ends_with_ci(spec, ".hdf5") || ends_with_ci(spec, ".he5")) {
    std::string names;
    std::error_code ec;
    if (std::filesystem::exists(spec, ec)) {
      detail::quiet_hdf5();
      FileHandle file(H5Fopen(spec.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
      H5Eclear2(H5E_DEFAULT);
      if (file) names = " (" + top_level_names(file.get()) + ")";
    }
    throw IoError(fmt::format(
        "external features '{}': name the dataset inside the HDF5 file, as '{}:/path/to/dataset'{}",
        spec, spec, names));
  }
  throw IoError(
      fmt::format("external features '{}': expected a NumPy file 'name.npy' or an HDF5 dataset "
                  "'file.h5:/path/to/dataset'",
                  spec));
}

}  // namespace gensweep::store

namespace gensweep::store {

Hdf5ImageArray locate_hdf5_images(const std::filesystem::path& file_path, const std::string& path,
                                  bool channels_last) {
  detail::quiet_hdf5();
  const std::string context = fmt::format("HDF5 images '{}:{}'", file_path.string(), path);
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::is_regular_file(file_path, ec), IoError,
                 "{}: file '{}' does not exist", context, file_path.string());
  FileHandle file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file)
    throw IoError(detail::with_hdf5_detail(
        fmt::format("{}: cannot open '{}' as an HDF5 file", context, file_path.string())));
  if (path.empty() || !object_exists(file.get(), path))
    throw IoError(fmt::format("{}: no dataset '{}' in the file ({})", context, path,
                              top_level_names(file.get())));
  H5O_info_t info{};
  check_status<IoError>(H5Oget_info_by_name(file.get(), path.c_str(), &info, H5P_DEFAULT),
                        [&] { return fmt::format("{}: cannot inspect '{}'", context, path); });
  GENSWEEP_CHECK(info.type == H5O_TYPE_DATASET, IoError, "{}: '{}' is a group, not a dataset",
                 context, path);
  DatasetHandle dataset(check_id<IoError>(H5Dopen2(file.get(), path.c_str(), H5P_DEFAULT), [&] {
    return fmt::format("{}: cannot open the dataset", context);
  }));
  DatatypeHandle type(check_id<IoError>(H5Dget_type(dataset.get()), [&] {
    return fmt::format("{}: cannot read the dataset's type", context);
  }));
  DataspaceHandle space(check_id<IoError>(H5Dget_space(dataset.get()), [&] {
    return fmt::format("{}: cannot read the dataset's shape", context);
  }));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::string shape;
  for (std::size_t i = 0; i < dims.size(); ++i)
    shape += (i ? " x " : "") + std::to_string(dims[i]);

  const H5T_class_t type_class = H5Tget_class(type.get());
  const std::size_t size = H5Tget_size(type.get());
  if (type_class != H5T_INTEGER || size != 1 || H5Tget_sign(type.get()) != H5T_SGN_NONE) {
    const char* kind = type_class == H5T_INTEGER
                           ? (H5Tget_sign(type.get()) == H5T_SGN_NONE ? "uint" : "int")
                       : type_class == H5T_FLOAT  ? "float"
                       : type_class == H5T_STRING ? "string"
                                                  : "non-numeric";
    throw IoError(fmt::format(
        "{}: dataset '{}' has type {}{} [{}]; expected uint8 pixels in 0..255 (convert with "
        "(x * 255).round().clip(0, 255).astype(np.uint8))",
        context, path, kind, 8 * size, shape));
  }
  const char* layout = channels_last ? "NHWC" : "NCHW";
  GENSWEEP_CHECK(rank == 4, IoError, "{}: dataset '{}' is {}-D [{}]; expected 4-D {}", context,
                 path, rank, shape, layout);
  const std::size_t channel_axis = channels_last ? 3 : 1;
  GENSWEEP_CHECK(dims[channel_axis] == 3, IoError,
                 "{}: dataset '{}' [{}] has {} channels on its {} channel axis; expected 3 (RGB){}",
                 context, path, shape, dims[channel_axis], layout,
                 dims[channels_last ? 1 : 3] == 3
                     ? fmt::format(" - is it {}?", channels_last ? "NCHW" : "NHWC")
                     : std::string());
  Hdf5ImageArray out;
  out.channels_last = channels_last;
  out.count = static_cast<std::int64_t>(dims[0]);
  out.height = static_cast<std::int64_t>(channels_last ? dims[1] : dims[2]);
  out.width = static_cast<std::int64_t>(channels_last ? dims[2] : dims[3]);
  PropListHandle create(check_id<IoError>(H5Dget_create_plist(dataset.get()), [&] {
    return fmt::format("{}: cannot read the dataset's layout", context);
  }));
  GENSWEEP_CHECK(H5Pget_layout(create.get()) == H5D_CONTIGUOUS, IoError,
                 "{}: dataset '{}' is chunked (compressed or resizable); gensweep reads images at "
                 "their offsets in a contiguous dataset: re-save it without chunks or compression "
                 "(h5py: f.create_dataset(name, data=x))",
                 context, path);
  const haddr_t offset = H5Dget_offset(dataset.get());
  H5Eclear2(H5E_DEFAULT);
  GENSWEEP_CHECK(offset != HADDR_UNDEF || out.count == 0, IoError,
                 "{}: dataset '{}' has no data written", context, path);
  out.file_offset = static_cast<std::uint64_t>(offset);
  return out;
}

}  // namespace gensweep::store
