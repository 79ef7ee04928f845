#pragma once
// Features users bring from other tools (pytorch-fid, torch-fidelity, clean-fid dumps), so that a
// job can compare against published feature sets without re-extracting them.

#include "gensweep/core/matrix_view.h"

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
