#pragma once
// Exclusive "one writer per store" lock on "<store>.lock" next to the store.
//
// Why our own lock and not only HDF5's: HDF5 1.10 takes a flock() on the file only after opening
// it, and H5Fcreate(H5F_ACC_TRUNC) truncates before it tries, so a second writer calling create()
// would destroy the first one's store before failing. The lock file is taken before HDF5 touches
// anything.
//
// Two methods, one lock file format (results_schema/STORE_LAYOUT.md, "Locking"):
//
// - fcntl (normal): an open-file-description lock (F_OFD_SETLK) on the lock file. OFD locks
//   conflict inside one process too (two FeatureStores writing the same file) and work over NFS.
//   The kernel drops the lock when its holder dies, SIGKILL included; the lock file stays, still
//   naming the dead holder, and the next writer takes it over and says so (an info line naming
//   the old holder and the lock file).
// - exclusive creation, where the file system has no fcntl locks (some cluster file systems): the
//   lock is the existence of the lock file, created with O_CREAT|O_EXCL and holding the holder's
//   pid, host, boot id and process start time. An existing lock file is stale, removed and taken
//   over (with an info line), when it names this host and either another boot (the host rebooted)
//   or a pid that is gone or now belongs to a process started later (pid reused). A lock file
//   of another host cannot be checked: the error names the holder and the file, and says to
//   delete the file if that job is gone. Racing takeovers of one stale file are serialised by a
//   second file, "<store>.lock.takeover", so exactly one of them wins.
//
// A live holder gives the same error with either method: StoreError naming the holder (pid, host)
// and the lock file.

#include <filesystem>
#include <string>

namespace gensweep::store::detail {

enum class LockMethod {
  kFcntl,            // fcntl lock; exclusive creation where the file system has none
  kExclusiveCreate,  // exclusive creation, as if the file system had no fcntl locks
};

// The environment variable that forces a method for every store this process writes:
// GENSWEEP_STORE_LOCK=exclusive-create (or =fcntl, the default). For tests and for trying the
// fallback on a file system that does have fcntl locks.
inline constexpr const char* kLockMethodVariable = "GENSWEEP_STORE_LOCK";

class WriterLock {
 public:
  WriterLock() = default;
  // Takes the lock for `store_path` with the method GENSWEEP_STORE_LOCK names (default kFcntl), or
  // throws StoreError naming the holder (pid, host) and the lock file when another writer has it.
  static WriterLock acquire(const std::filesystem::path& store_path);
  static WriterLock acquire(const std::filesystem::path& store_path, LockMethod method);

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
