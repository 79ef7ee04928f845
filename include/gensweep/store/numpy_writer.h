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

struct archive;  // libarchive's writer, kept out of this header

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

// An .npz written member by member, each member's data streamed in pieces: for arrays too large
// to hold (an ADM sample batch of 50,000 256 x 256 images is 9.8 GB), whose size is known before
// their first byte. Stored (uncompressed), so readers can reach any slice by offset. ZIP64
// records appear when a size passes 4 GiB (libarchive's writer). Written under a temporary name:
// close() publishes it; a writer destroyed without close() (an error on the way) removes it, so
// a half-written file never appears under the final name.
class NpzStreamWriter {
 public:
  explicit NpzStreamWriter(std::filesystem::path path);
  ~NpzStreamWriter();
  NpzStreamWriter(const NpzStreamWriter&) = delete;
  NpzStreamWriter& operator=(const NpzStreamWriter&) = delete;

  // Starts member NAME.npy holding `shape` elements of `descr` ("|u1", "<i8", "<f4", ...).
  void begin_member(const std::string& name, const std::string& descr,
                    const std::vector<std::int64_t>& shape);
  // The member's next bytes; all of them together must be exactly its declared size.
  void write(std::span<const std::uint8_t> bytes);
  void close();

 private:
  void finish_member();
  void fail(const char* what);

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  ::archive* archive_ = nullptr;
  std::uint64_t member_left_ = 0;
  std::string member_;
  bool closed_ = false;
};

}  // namespace gensweep::store
