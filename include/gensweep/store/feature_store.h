#pragma once
// One HDF5 file per (dataset, backbone): features, validity, ids, optional logits, per-row failure
// reasons, sufficient statistics, provenance and a done-map of work units for resume. The layout is
// documented (and versioned) in results_schema/STORE_LAYOUT.md.
//
// A store has one writer at a time (rank 0 of a run; the store knows nothing about ranks); any
// number of processes may read a store nobody is writing. Writers are excluded by a lock file next
// to the store ("<store>.lock", see STORE_LAYOUT.md "Locking").
//
// Crash safety: write_unit() touches only raw data that create() allocated, flushes the rows, and
// only then marks the unit done in /progress (a one-byte write) and flushes again. A SIGKILL at any
// moment therefore leaves a file that open_write() reopens and whose done-map marks only units
// whose rows are fully on disk; the interrupted unit is simply written again.
//
// Not thread-safe: the HDF5 build used here is not thread-safe, so call the store module (every
// store, and load_external_features) from one thread at a time.

#include "gensweep/core/matrix_view.h"
#include "gensweep/store/provenance.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gensweep::store {

// One image that could not be turned into features.
struct Failure {
  std::int64_t row = 0;  // absolute row in the store
  std::string reason;    // UTF-8; stored truncated to kMaxFailureReasonBytes
};

// Longest failure reason kept, in bytes. Reasons live in a fixed-size, pre-allocated per-row slot
// so that recording a failure never changes HDF5 metadata (see STORE_LAYOUT.md "Crash safety");
// longer reasons are cut at a UTF-8 character boundary and end in "...".
inline constexpr std::int64_t kMaxFailureReasonBytes = 256;

struct StoreLayout {
  std::int64_t rows = 0;         // N images
  std::int64_t dim = 0;          // D features per image
  std::int64_t unit_size = 256;  // rows per work unit (the last unit may be shorter)
  std::int64_t logits_dim = 0;   // C class logits per image; 0 = no /logits dataset
};

// Sufficient statistics of the valid rows, float64 so that merges and Fréchet distances do not
// lose precision.
struct StoredStatistics {
  std::int64_t count = 0;
  std::vector<double> mean;     // [dim]
  std::vector<double> scatter;  // [dim * dim] row-major: sum over rows of (x - mean)(x - mean)^T
};

class FeatureStore {
 public:
  // Creates (or replaces) the store at `path` with rows == ids.size(), every unit not done. The
  // file is built next to `path` and renamed into place, so a crash during create() never leaves a
  // half-made store at `path`. Parent directories are created. ids must be valid UTF-8 without NUL
  // characters. Throws StoreError (also when another process is writing the store).
  static FeatureStore create(const std::filesystem::path& path, const StoreLayout& layout,
                             const std::vector<std::string>& ids, const Attributes& provenance);
  // Opens an existing store. Throws StoreError naming the path and what was expected for a missing,
  // damaged, foreign or newer-schema file, and (open_write) when another process writes the store.
  static FeatureStore open_read(const std::filesystem::path& path);
  static FeatureStore open_write(const std::filesystem::path& path);
  // open_read, except that a store another process holds open (its HDF5 file lock: a writer
  // excludes readers) is a result, nullopt, not an error. For callers that treat a store being
  // written now differently from a damaged one.
  static std::optional<FeatureStore> open_read_unless_locked(const std::filesystem::path& path);

  FeatureStore(FeatureStore&&) noexcept;
  FeatureStore& operator=(FeatureStore&&) noexcept;
  FeatureStore(const FeatureStore&) = delete;
  FeatureStore& operator=(const FeatureStore&) = delete;
  ~FeatureStore();  // closes the file and releases the writer lock; never throws

  // Root attributes: the caller's provenance plus schema_version (and whatever set_attribute
  // added).
  const Attributes& provenance() const;
  const StoreLayout& layout() const;
  const std::filesystem::path& path() const;
  bool writable() const;

  std::int64_t num_units() const;  // ceil(rows / unit_size)
  // Rows [begin, end) of a unit.
  std::int64_t unit_begin(std::int64_t unit) const;
  std::int64_t unit_end(std::int64_t unit) const;
  // [num_units], 1 = unit done. A reader sees the done-map as it was when the store was opened.
  std::vector<std::uint8_t> progress() const;
  bool is_complete() const;

  // Writes rows [unit * unit_size, min(rows, (unit + 1) * unit_size)):
  //   features  [unit rows x dim]          float32 (rows of invalid images are stored as given)
  //   valid     [unit rows]                1 = features good, 0 = image failed
  //   failures  absolute rows inside the unit, each with valid == 0, at most one per row
  //   logits    [unit rows x logits_dim]   required when the layout has logits, else empty
  // then flushes, then marks the unit done, then flushes again. Rewriting a done unit first clears
  // its mark. Throws StoreError for shapes that do not match the layout.
  void write_unit(std::int64_t unit, FeatureView features, std::span<const std::uint8_t> valid,
                  const std::vector<Failure>& failures, FeatureView logits = {});

  // Rows of units not yet done read back as zeros (or as an interrupted attempt left them).
  void read_features(std::int64_t row_begin, std::int64_t count,
                     float* out) const;  // out: [count x dim]
  void read_logits(std::int64_t row_begin, std::int64_t count,
                   float* out) const;            // out: [count x logits_dim]
  std::vector<std::uint8_t> read_valid() const;  // [rows]
  std::vector<std::string> read_ids() const;     // [rows]
  // One entry per invalid row of a done unit, ordered by row; reason "" when none was given.
  std::vector<Failure> read_failures() const;

  // Replaces the stored statistics. mean and scatter are written first, count last, with a flush
  // between, so a crash never leaves a count that vouches for a half-written scatter matrix.
  void write_statistics(const StoredStatistics& stats);
  std::optional<StoredStatistics> read_statistics() const;  // nullopt until written
  // sha256 (hex) of the int64 /stats/count followed by the float64 /stats/mean (little-endian
  // bytes), read through this handle: what the caches use to tell a rebuilt store from the old
  // one (pipeline/store_catalogue.h, store_identity). StoreError when there are no statistics yet.
  std::string statistics_digest() const;
  // Whether statistics were written, reading only their count (the scatter can be hundreds of MB).
  bool has_statistics() const;

  // Adds or replaces one root attribute (e.g. "complete_utc") and flushes. The value is stored as
  // a fixed-length UTF-8 string inside the root object header, so that the change is a single
  // block write that a SIGKILL cannot tear; when the header has no room left, or the key is a
  // provenance attribute written by create(), it logs a warning that the update is not
  // crash-atomic (STORE_LAYOUT.md "Crash safety").
  void set_attribute(const std::string& key, const std::string& value);

  struct Impl;  // HDF5 handles and cached layout; defined in src/store (HDF5 stays out of headers)

 private:
  explicit FeatureStore(std::unique_ptr<Impl> impl);
  const Impl& impl() const;
  Impl& impl();
  std::unique_ptr<Impl> impl_;
};

}  // namespace gensweep::store
