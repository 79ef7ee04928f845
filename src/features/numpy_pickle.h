#pragma once
// numpy arrays inside pickles, read without numpy and without running anything: the allow-list
// of shared/spec/FORMATS.md section 1.3 as hooks for the restricted unpickler (pickle.h).
//
//   protocols 2-4  numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b'), then BUILD with
//                  (1, shape, dtype, is_fortran, raw); protocol 2 carries raw as
//                  _codecs.encode(str, 'latin1') (every torch.save), 3-4 as bytes
//   protocol 5     numpy.core.numeric._frombuffer(bytearray, dtype, shape, order)
//   every array    numpy.dtype('f8', False, True), then BUILD with (3, '<', ...): the byte order
// numpy >= 2 spells the modules numpy._core.*; both are accepted. Any other global is refused,
// naming it: reading a file never executes code.

#include <cstdint>
#include <string>
#include <vector>

#include "pickle.h"

namespace gensweep::features::detail {

// An array as the pickle describes it: raw bytes still in their stored dtype and order.
struct NumpyArray {
  std::vector<std::int64_t> shape;
  std::string descr;  // "<f8", "<f4", "|u1", ...
  bool fortran_order = false;
  std::string raw;
  bool complete = false;  // BUILD (or _frombuffer) gave it its data
};

// Hooks that accept exactly the globals above; `what` names the file in refusals.
UnpicklerHooks numpy_array_hooks(const std::string& what);

// The array a value holds, or nullptr when it is not one (or was never given its data).
const NumpyArray* numpy_array(const Value& value);

}  // namespace gensweep::features::detail
