#pragma once
// Features users bring from other tools (pytorch-fid, torch-fidelity, clean-fid dumps), so that a
// job can compare against published feature sets without re-extracting them.

#include "gensweep/core/matrix_view.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace gensweep::store {

// Loads an N x D feature matrix from
//   "path/file.npy"                  NumPy .npy format version 1, 2 or 3, little-endian '<f4' or
//                                    '<f8', C order, 2-D
//   "path/file.h5:/path/to/dataset"  HDF5 (also .hdf5 or any other name), float32 or float64
//                                    (any byte order), 2-D N x D; the split is at the last ':'
// float64 inputs are rounded to the nearest float32 (about 7 significant decimal digits, the same
// precision as features gensweep extracts itself; statistics are still accumulated in float64).
// Throws IoError naming the file and the problem: missing file, missing dataset (listing the
// top-level names that exist), wrong rank, unsupported dtype, Fortran order, truncated data.
FeatureMatrix load_external_features(const std::string& spec);

}  // namespace gensweep::store

namespace gensweep::store {

// A uint8 image array in an HDF5 file, located for reading without HDF5: the library built here
// is not thread-safe and the extraction writes stores while decode threads load images, so the
// image source reads the raw bytes at `file_offset` with pread instead of calling H5Dread.
struct Hdf5ImageArray {
  std::int64_t count = 0, height = 0, width = 0;  // channels are 3
  bool channels_last = true;                      // NHWC; false: NCHW
  std::uint64_t file_offset = 0;                  // of element [0, 0, 0, 0]; C order from there
};

// Opens `file`, checks that `dataset` is a 4-D unsigned 8-bit integer array with 3 channels where
// `channels_last` says they are, stored contiguously (not chunked or compressed) and written.
// Throws IoError naming the file, the dataset and what was found (its type, its shape, its
// layout) otherwise.
Hdf5ImageArray locate_hdf5_images(const std::filesystem::path& file, const std::string& dataset,
                                  bool channels_last);

}  // namespace gensweep::store
