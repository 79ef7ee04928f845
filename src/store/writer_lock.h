#pragma once
// Exclusive "one writer per store" lock: an open-file-description lock (fcntl F_OFD_SETLK) on
// "<store>.lock" next to the store.
//
// Why our own lock and not only HDF5's: HDF5 1.10 takes a flock() on the file only after opening
// it, and H5Fcreate(H5F_ACC_TRUNC) truncates before it tries, so a second writer calling create()
// would destroy the first one's store before failing. The lock file is taken before HDF5 touches
// anything. The kernel drops it when the holder dies, SIGKILL included, so a crashed writer never
// leaves a stale lock. OFD locks also conflict inside one process (two FeatureStores writing the
// same file) and work over NFS.

#include <filesystem>
#include <string>

namespace gensweep::store::detail {

class WriterLock {
 public:
  WriterLock() = default;
  // Takes the lock for `store_path` or throws StoreError naming the holder (pid, host) when another
  // writer has it. On file systems without lock support it warns once and runs unlocked.
  static WriterLock acquire(const std::filesystem::path& store_path);

  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();  // removes the lock file and releases the lock; never throws

  static std::filesystem::path lock_path_for(const std::filesystem::path& store_path);

 private:
  void release() noexcept;
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace gensweep::store::detail
