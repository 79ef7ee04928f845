#include "gensweep/store/statistics_digest.h"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "hdf5_errors.h"
#include "hdf5_handles.h"

namespace gensweep::store {

static_assert(std::endian::native == std::endian::little, "the digest is of little-endian bytes");

std::string statistics_digest(const std::filesystem::path& path) {
  using namespace detail;
  quiet_hdf5();
  const std::string context = fmt::format("store '{}'", path.string());
  GENSWEEP_CHECK(std::filesystem::exists(path), StoreError, "{}: no such file", context);
  FileHandle file(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                           [&] { return fmt::format("{}: not a readable HDF5 file", context); }));
  const auto describe = [&](const char* what) {
    return [&context, what] { return fmt::format("{}: cannot read {}", context, what); };
  };
  DatasetHandle count_ds(
      check_id(H5Dopen2(file.get(), "/stats/count", H5P_DEFAULT), describe("/stats/count")));
  std::int64_t count = -1;
  check_status(H5Dread(count_ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &count),
               describe("/stats/count"));
  GENSWEEP_CHECK(count >= 0, StoreError, "{}: the store has no statistics yet", context);
  DatasetHandle mean_ds(
      check_id(H5Dopen2(file.get(), "/stats/mean", H5P_DEFAULT), describe("/stats/mean")));
  DataspaceHandle space(check_id(H5Dget_space(mean_ds.get()), describe("/stats/mean")));
  GENSWEEP_CHECK(H5Sget_simple_extent_ndims(space.get()) == 1, StoreError,
                 "{}: /stats/mean is not one-dimensional", context);
  hsize_t dim = 0;
  H5Sget_simple_extent_dims(space.get(), &dim, nullptr);
  std::vector<double> mean(static_cast<std::size_t>(dim));
  if (dim > 0) {
    check_status(
        H5Dread(mean_ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, mean.data()),
        describe("/stats/mean"));
  }
  Sha256 h;
  h.update(&count, sizeof count);
  h.update(mean.data(), mean.size() * sizeof(double));
  return h.hex_digest();
}

}  // namespace gensweep::store
