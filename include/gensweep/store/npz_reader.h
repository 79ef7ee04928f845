#pragma once
// Reading the NumPy files other tools write: .npy arrays and .npz archives (a ZIP of KEY.npy
// members), as numpy.lib.format and numpy.savez / savez_compressed define them
// (shared/spec/FORMATS.md, sections 1.1 and 1.2).
//
// The ZIP container is read with libarchive, which inflates deflated members (pytorch-fid and
// clean-fid write np.savez_compressed) and follows ZIP64, and is Debian's well-kept archive
// library; the .npy layer on top is ours. Members are opened only when asked for, as np.load
// does: a dgm-eval file's pickled `hparams` member is never read, and a member that would need
// unpickling (dtype '|O') is refused when it is the one asked for.
//
// Every size read from a file is checked before memory is allocated for it: a member is read only
// up to the caller's limit, whatever its header declares, so a zip bomb costs at most that limit.
// Errors are IoError messages that name the file and the member.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::store {

// A .npy array's header (numpy.lib.format): version, dtype text, order and shape.
struct NpyArrayHeader {
  int major = 0;
  int minor = 0;
  std::string descr;  // "<f8", "|u1", ">f4", "|O", ...
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::int64_t data_offset = 0;  // bytes from the start of the .npy data to the array values

  std::int64_t element_count() const;
  // Bytes per element from descr's size digits (8 for "<f8"); 0 when descr has none ("|O").
  std::int64_t item_size() const;
  std::string shape_text() const;  // "(192, 192)", "(192,)", "()"
};

// Parses the magic, version, header length and header dict at the start of `bytes`, which must
// hold at least the whole header. `context` starts every error message ("stats.npz: member
// mu.npy"). Checks that the shape's byte count does not overflow.
NpyArrayHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& context);

// An array of numbers promoted to float64 in C order, with the dtype it was stored as.
struct Float64Array {
  std::vector<std::int64_t> shape;
  std::vector<double> values;
  std::string stored_dtype;  // descr as found, e.g. "<f4"
};

// Values of `shape` stored as `descr` ("<f4", ">f8", ...) in `raw`, C or Fortran order, promoted
// to float64 in C order: the one conversion behind .npy members and numpy arrays inside pickles.
// Refuses other dtypes and short data, naming `context`.
Float64Array float64_from_raw(const std::string& descr, bool fortran_order,
                              const std::vector<std::int64_t>& shape,
                              std::span<const std::uint8_t> raw, const std::string& context);

// Decodes a whole .npy (header and data) of float32 or float64 in either byte order ('<', '>',
// '='), C or Fortran order (transposed to C order on read). Refuses every other dtype, naming it.
Float64Array decode_npy_float64(std::span<const std::uint8_t> npy, const std::string& context);

// One member of a .npz archive.
struct NpzMember {
  std::string key;         // the member name without ".npy" ("mu", "arr_0")
  std::string name;        // the member name as stored ("mu.npy")
  std::uint64_t size = 0;  // uncompressed bytes as the archive declares them
  bool stored = false;     // ZIP method 0: its bytes lie in the file as they are
  // Stored members: offset in the file of the member's first byte (the .npy magic), so a reader
  // can pread slices of a large array without reading the rest; 0 otherwise.
  std::uint64_t file_offset = 0;
};

class NpzFile {
 public:
  // The most a member is inflated into memory unless a caller asks for more: a 2048-d float64
  // covariance is 32 MiB; 4 GiB covers statistics up to D = 23000.
  static constexpr std::uint64_t kDefaultMaxMemberBytes = std::uint64_t{4} << 30;

  // Lists the members. Throws IoError when the file is missing, is not a ZIP, or its directory is
  // damaged (truncated files included).
  explicit NpzFile(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<NpzMember>& members() const { return members_; }
  // The member `key` ("mu") or nullptr.
  const NpzMember* find(std::string_view key) const;
  // "'mu', 'sigma'": for messages that say which keys a file has.
  std::string key_list() const;

  // The member's whole bytes, refusing one that declares, or turns out to hold, more than
  // max_bytes before more than max_bytes are inflated. Throws IoError naming file and member when
  // the member is missing, damaged or too large.
  std::vector<std::uint8_t> read(std::string_view key,
                                 std::uint64_t max_bytes = kDefaultMaxMemberBytes) const;
  // The member's .npy header (only the first bytes are inflated).
  NpyArrayHeader header(std::string_view key) const;
  // The member decoded by decode_npy_float64.
  Float64Array read_float64(std::string_view key,
                            std::uint64_t max_bytes = kDefaultMaxMemberBytes) const;

 private:
  // Inflates the member into `out`, at most `max_bytes` of it, or all of it when `whole`.
  void inflate(const NpzMember& member, std::uint64_t max_bytes, bool whole,
               std::vector<std::uint8_t>& out) const;
  const NpzMember& require(std::string_view key) const;

  std::filesystem::path path_;
  std::vector<NpzMember> members_;
};

}  // namespace gensweep::store
