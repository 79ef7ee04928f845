#pragma once
// Writing NumPy files for other tools (../shared/spec/FORMATS.md, "What gensweep should write"):
// `.npy` arrays (version 1.0 headers padded to 64 bytes, little-endian, C order) and `.npz`
// archives of them (a ZIP written with libarchive: members deflated as np.savez_compressed and
// pytorch-fid write them, or stored). Files are written under a temporary name and renamed, and
// never replace an existing file.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace gensweep::store {

// One array: float64 or float32 values of `shape` in C order.
struct NpyArray {
  std::string name;  // the member's name without ".npy" (npz) or ignored (npy)
  std::vector<std::int64_t> shape;
  std::vector<double> f64;  // used when !is_f32
  std::vector<float> f32;
  bool is_f32 = false;
};

// The bytes of `array` as a .npy file.
std::string npy_bytes(const NpyArray& array);

// Writes `array` to `path` (.npy). Throws IoError naming the path when it exists, lacks the
// suffix, or cannot be written.
void write_npy(const std::filesystem::path& path, const NpyArray& array);

// Writes `arrays` in order as the members NAME.npy of an .npz at `path`, deflated when `compress`.
// Throws IoError as write_npy does.
void write_npz(const std::filesystem::path& path, const std::vector<NpyArray>& arrays,
               bool compress = true);

}  // namespace gensweep::store
