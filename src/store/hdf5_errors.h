#pragma once
// HDF5 reports errors by printing its error stack to stderr and returning a negative value. The
// store turns that into exceptions instead: automatic printing is switched off once per process,
// and the innermost message of the stack (the specific one: "truncated file: eof = ...",
// "unable to lock file, errno = 11 ...") is captured into the exception text.

#include "gensweep/core/error.h"

#include <hdf5.h>

#include <string>

namespace gensweep::store::detail {

// Switches off HDF5's automatic error printing (idempotent). Every entry point of the store module
// calls it before its first HDF5 call.
void quiet_hdf5();

// The most specific messages of the current HDF5 error stack ("" when empty), then clears it.
std::string take_hdf5_error();

// "<what>: HDF5: <detail>" or just "<what>" when HDF5 recorded nothing.
std::string with_hdf5_detail(const std::string& what);

// Throws ErrorType(with_hdf5_detail(describe())) when an HDF5 call failed. `describe` is only
// evaluated on failure, so callers can format freely.
template <typename ErrorType = StoreError, typename Describe>
hid_t check_id(hid_t id, Describe&& describe) {
  if (id < 0) throw ErrorType(with_hdf5_detail(describe()));
  return id;
}

template <typename ErrorType = StoreError, typename Describe>
void check_status(herr_t status, Describe&& describe) {
  if (status < 0) throw ErrorType(with_hdf5_detail(describe()));
}

}  // namespace gensweep::store::detail
