#include "writer_lock.h"

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace gensweep::store::detail {
namespace {

using Clock = std::chrono::steady_clock;

// How long a lock file may stay unreadable (its creator writes it right after creating it) and a
// takeover guard may stay in place (held for a few system calls) before we call them abandoned.
constexpr std::chrono::seconds kSettleTime{10};
constexpr std::chrono::milliseconds kPollInterval{2};

// ---- who holds a lock -----------------------------------------------------------------------

// The holder of a lock, as written in the lock file:
//   pid 1234 on host node17                 (the first line is what error messages quote)
//   boot_id 26f03dcd-f2fa-4815-bbe2-bbcb11ce46f7
//   start_time 1558852                      (/proc/PID/stat field 22: clock ticks after boot)
//   pid_namespace pid:[4026531836]
// Only the first line is required (files written before the other lines existed have only it);
// unknown lines are ignored.
struct Holder {
  long pid = 0;
  std::string host;
  std::string boot_id;
  std::string start_time;
  std::string pid_namespace;

  std::string describe() const { return fmt::format("pid {} on host {}", pid, host); }
};

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The whole of a small file (at most 4 KiB), or nullopt when it cannot be read.
std::optional<std::string> read_small_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(n));
}

// Fields of /proc/PID/stat from field 3 (state) on, or empty when the process does not exist (or
// /proc is not mounted). The command name (field 2) may contain spaces and parentheses, so the
// fields start after its last ')'.
std::vector<std::string> proc_stat_fields(long pid) {
  const auto text = read_small_file(fmt::format("/proc/{}/stat", pid).c_str());
  std::vector<std::string> fields;
  if (!text) return fields;
  const auto close = text->rfind(')');
  if (close == std::string::npos) return fields;
  std::size_t pos = close + 1;
  while (pos < text->size()) {
    const auto start = text->find_first_not_of(" \n", pos);
    if (start == std::string::npos) break;
    const auto end = text->find_first_of(" \n", start);
    fields.push_back(
        text->substr(start, end == std::string::npos ? std::string::npos : end - start));
    pos = end == std::string::npos ? text->size() : end;
  }
  return fields;
}

constexpr std::size_t kStateField = 0;       // field 3 of /proc/PID/stat
constexpr std::size_t kStartTimeField = 19;  // field 22 of /proc/PID/stat

Holder this_process() {
  Holder me;
  me.pid = static_cast<long>(::getpid());
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  me.host = host;
  if (auto boot = read_small_file("/proc/sys/kernel/random/boot_id")) me.boot_id = trim(*boot);
  const auto fields = proc_stat_fields(me.pid);
  if (fields.size() > kStartTimeField) me.start_time = fields[kStartTimeField];
  char ns[128] = {};
  if (::readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1) > 0) me.pid_namespace = ns;
  return me;
}

std::string lock_file_text(const Holder& holder) {
  std::string text = holder.describe() + "\n";
  if (!holder.boot_id.empty()) text += "boot_id " + holder.boot_id + "\n";
  if (!holder.start_time.empty()) text += "start_time " + holder.start_time + "\n";
  if (!holder.pid_namespace.empty()) text += "pid_namespace " + holder.pid_namespace + "\n";
  return text;
}

// Parses a lock file; nullopt when its first line is not "pid P on host H" (a file being written
// right now, or damaged).
std::optional<Holder> parse_holder(std::string_view text) {
  Holder holder;
  bool first = true;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) {
      if (first) return std::nullopt;  // no newline yet: its writer has not finished
      break;
    }
    const std::string line = trim(text.substr(0, end));
    text.remove_prefix(end + 1);
    if (first) {
      first = false;
      constexpr std::string_view kPid = "pid ";
      constexpr std::string_view kOnHost = " on host ";
      if (line.rfind(kPid, 0) != 0) return std::nullopt;
      const auto on = line.find(kOnHost);
      if (on == std::string::npos || on == kPid.size()) return std::nullopt;
      const std::string digits = line.substr(kPid.size(), on - kPid.size());
      if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
      holder.pid = std::stol(digits);
      holder.host = line.substr(on + kOnHost.size());
      if (holder.pid <= 0 || holder.host.empty() ||
          holder.host.find_first_of(" \t") != std::string::npos)
        return std::nullopt;
      continue;
    }
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string key = line.substr(0, space);
    const std::string value = trim(line.substr(space + 1));
    if (key == "boot_id") holder.boot_id = value;
    if (key == "start_time") holder.start_time = value;
    if (key == "pid_namespace") holder.pid_namespace = value;
  }
  if (first) return std::nullopt;
  return holder;
}

enum class Liveness {
  kAlive,          // same host, boot and namespace; the pid runs and its start time matches
  kProbablyAlive,  // the pid runs, but the file has no start time (or /proc none) to compare
  kGone,           // the holder is certainly dead: its lock is stale
  kUnknowable,     // another host or pid namespace: nothing here can tell
};

struct Verdict {
  Liveness liveness;
  std::string reason;  // why, for messages: "the process is gone", "host vm rebooted since", ...
};

Verdict judge(const Holder& holder, const Holder& me) {
  if (holder.host != me.host)
    return {Liveness::kUnknowable,
            fmt::format("it is on another host than this one ({})", me.host)};
  if (!holder.boot_id.empty() && !me.boot_id.empty() && holder.boot_id != me.boot_id)
    return {Liveness::kGone, fmt::format("host {} has rebooted since (boot id {}, now {})", me.host,
                                         holder.boot_id, me.boot_id)};
  if (!holder.pid_namespace.empty() && !me.pid_namespace.empty() &&
      holder.pid_namespace != me.pid_namespace)
    return {Liveness::kUnknowable,
            fmt::format("it is in another pid namespace ({}, this process is in {}): another "
                        "container?",
                        holder.pid_namespace, me.pid_namespace)};
  const auto fields = proc_stat_fields(holder.pid);
  if (fields.empty()) {
    // No /proc entry: the process is gone, unless /proc itself is missing; kill(pid, 0) decides.
    if (::kill(static_cast<pid_t>(holder.pid), 0) != 0 && errno == ESRCH)
      return {Liveness::kGone, fmt::format("process {} is gone", holder.pid)};
    return {Liveness::kProbablyAlive, "its process is still running"};
  }
  // A zombie has exited; only its parent has not collected it yet.
  if (fields[kStateField] == "Z" || fields[kStateField] == "X")
    return {Liveness::kGone, fmt::format("process {} has exited", holder.pid)};
  if (holder.start_time.empty() || fields.size() <= kStartTimeField)
    return {Liveness::kProbablyAlive, "its process is still running"};
  if (fields[kStartTimeField] != holder.start_time)
    return {Liveness::kGone,
            fmt::format("pid {} now belongs to another process (started at tick {}, the holder "
                        "at tick {})",
                        holder.pid, fields[kStartTimeField], holder.start_time)};
  return {Liveness::kAlive, "its process is still running"};
}

// ---- errors and messages ----------------------------------------------------------------------

StoreError held_by_live_writer(const std::filesystem::path& store_path,
                               const std::filesystem::path& lock_path, std::string holder) {
  if (holder.rfind(fmt::format("pid {} ", ::getpid()), 0) == 0)
    holder += ", that is this very process";
  return StoreError(fmt::format(
      "store '{}' is being written by another process ({}; lock file '{}'): only one writer at "
      "a time",
      store_path.string(), holder, lock_path.string()));
}

void report_takeover(const std::filesystem::path& store_path,
                     const std::filesystem::path& lock_path, const std::string& holder,
                     const std::string& reason) {
  log::info(
      "store '{}': took over the stale lock of {} (a crashed or killed writer: {}; lock file "
      "'{}')",
      store_path.string(), holder, reason, lock_path.string());
}

// Writes the holder text at the start of `fd` and makes it durable: on NFS another client would
// otherwise not see it until we close the file.
bool write_holder(int fd, const std::string& text) {
  if (::ftruncate(fd, 0) != 0) return false;
  if (::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) return false;
  return ::fdatasync(fd) == 0;
}

bool locking_unsupported(int error) {
  return error == ENOLCK || error == ENOSYS || error == EOPNOTSUPP || error == EINVAL;
}

LockMethod method_from_environment() {
  const char* value = std::getenv(kLockMethodVariable);
  if (value == nullptr || *value == '\0' || std::string_view(value) == "fcntl")
    return LockMethod::kFcntl;
  if (std::string_view(value) == "exclusive-create") return LockMethod::kExclusiveCreate;
  throw UsageError(
      fmt::format("environment variable {}='{}': expected 'fcntl' or "
                  "'exclusive-create'",
                  kLockMethodVariable, value));
}

// ---- exclusive creation (no fcntl locks) -------------------------------------------------------

struct LockFileSnapshot {
  bool exists = false;
  int error = 0;  // errno of open() when it does not exist or cannot be read
  dev_t dev = 0;
  ino_t ino = 0;
  Clock::duration age{};  // since its last modification
  std::string text;
};

LockFileSnapshot read_lock_file(const std::filesystem::path& path) {
  LockFileSnapshot snapshot;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snapshot.error = errno;
    return snapshot;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    snapshot.exists = true;
    snapshot.dev = st.st_dev;
    snapshot.ino = st.st_ino;
    const auto modified = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec) +
                          std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    snapshot.age =
        std::chrono::duration_cast<Clock::duration>(std::chrono::system_clock::now() - modified);
    char buffer[4096];
    const ssize_t n = ::pread(fd, buffer, sizeof(buffer), 0);
    if (n > 0) snapshot.text.assign(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return snapshot;
}

// Creates `path` exclusively holding `text`; returns its descriptor, or -1 with errno EEXIST when
// it exists. Other failures throw.
int create_exclusive(const std::filesystem::path& store_path, const std::filesystem::path& path,
                     const std::string& text) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return -1;
    throw StoreError(fmt::format("store '{}': cannot create lock file '{}': {}",
                                 store_path.string(), path.string(), std::strerror(errno)));
  }
  if (!write_holder(fd, text)) {
    const int error = errno;
    ::unlink(path.c_str());
    ::close(fd);
    throw StoreError(fmt::format("store '{}': cannot write lock file '{}': {}", store_path.string(),
                                 path.string(), std::strerror(error)));
  }
  return fd;
}

enum class Takeover { kTaken, kGuardBusy, kChanged };

// Replaces the stale lock file seen in `stale` by ours. Racing takers of one stale file would
// otherwise each remove it and create their own, the later removing the earlier's new lock: the
// guard file (created exclusively, held for a few system calls) lets one at a time check that
// the lock file is still the stale one and replace it. A normal creator needs no guard: it
// cannot create while the stale file exists, and after the removal exclusive creation decides.
Takeover take_over(const std::filesystem::path& store_path, const std::filesystem::path& lock_path,
                   const LockFileSnapshot& stale, const std::string& my_text, int& fd) {
  std::filesystem::path guard_path = lock_path;
  guard_path += ".takeover";
  const int guard = create_exclusive(store_path, guard_path, my_text);
  if (guard < 0) return Takeover::kGuardBusy;
  struct GuardRelease {
    int fd;
    const std::filesystem::path& path;
    ~GuardRelease() {
      ::unlink(path.c_str());
      ::close(fd);
    }
  } release{guard, guard_path};

  const LockFileSnapshot now = read_lock_file(lock_path);
  if (!now.exists || now.dev != stale.dev || now.ino != stale.ino || now.text != stale.text)
    return Takeover::kChanged;  // replaced or removed meanwhile: judge it again
  if (::unlink(lock_path.c_str()) != 0 && errno != ENOENT)
    throw StoreError(fmt::format("store '{}': cannot remove the stale lock file '{}': {}",
                                 store_path.string(), lock_path.string(), std::strerror(errno)));
  fd = create_exclusive(store_path, lock_path, my_text);
  return fd >= 0 ? Takeover::kTaken : Takeover::kChanged;
}

std::string guard_description(const std::filesystem::path& guard_path) {
  const LockFileSnapshot guard = read_lock_file(guard_path);
  const auto holder = parse_holder(guard.text);
  if (!holder) return "an unknown process";
  const Verdict verdict = judge(*holder, this_process());
  return verdict.liveness == Liveness::kGone ? holder->describe() + ", which is gone"
                                             : holder->describe();
}

int acquire_by_exclusive_creation(const std::filesystem::path& store_path,
                                  const std::filesystem::path& lock_path) {
  const Holder me = this_process();
  const std::string my_text = lock_file_text(me);
  const auto deadline = Clock::now() + kSettleTime;
  for (long round = 0;; ++round) {
    if (const int fd = create_exclusive(store_path, lock_path, my_text); fd >= 0) return fd;

    const LockFileSnapshot existing = read_lock_file(lock_path);
    if (!existing.exists) {
      GENSWEEP_CHECK(existing.error == ENOENT, StoreError,
                     "store '{}': cannot read lock file '{}': {}", store_path.string(),
                     lock_path.string(), std::strerror(existing.error));
      // Removed since (its writer finished): create it again, unless writers keep coming.
      GENSWEEP_CHECK(round < 100000, StoreError,
                     "store '{}': lock file '{}' keeps being replaced; giving up",
                     store_path.string(), lock_path.string());
      continue;
    }
    const auto holder = parse_holder(existing.text);
    if (!holder) {
      // Its creator writes it right after creating it: wait, unless it is old.
      if (existing.age < kSettleTime && Clock::now() < deadline) {
        std::this_thread::sleep_for(kPollInterval);
        continue;
      }
      throw StoreError(fmt::format(
          "store '{}': lock file '{}' {} (expected a first line \"pid P on host H\"): a writer "
          "killed while creating it? If no writer of this store is running, delete the file",
          store_path.string(), lock_path.string(),
          trim(existing.text).empty()
              ? std::string("is empty")
              : fmt::format("holds '{}'", trim(existing.text.substr(0, 80)))));
    }
    const Verdict verdict = judge(*holder, me);
    switch (verdict.liveness) {
      case Liveness::kAlive:
      case Liveness::kProbablyAlive:
        throw held_by_live_writer(store_path, lock_path, holder->describe());
      case Liveness::kUnknowable:
        throw StoreError(fmt::format(
            "store '{}' is locked by {} (lock file '{}'), which cannot be checked from here: {}. "
            "If that job is gone, delete the lock file and run again",
            store_path.string(), holder->describe(), lock_path.string(), verdict.reason));
      case Liveness::kGone:
        break;
    }
    int fd = -1;
    switch (take_over(store_path, lock_path, existing, my_text, fd)) {
      case Takeover::kTaken:
        report_takeover(store_path, lock_path, holder->describe(), verdict.reason);
        return fd;
      case Takeover::kChanged:
        continue;
      case Takeover::kGuardBusy:
        if (Clock::now() < deadline) {
          std::this_thread::sleep_for(kPollInterval);
          continue;
        }
        std::filesystem::path guard_path = lock_path;
        guard_path += ".takeover";
        throw StoreError(fmt::format(
            "store '{}': the lock file '{}' is stale ({} is gone) but '{}', left by {}, has "
            "blocked taking it over for {} s: a writer killed while taking over the lock? If no "
            "writer of this store is running, delete both files",
            store_path.string(), lock_path.string(), holder->describe(), guard_path.string(),
            guard_description(guard_path), kSettleTime.count()));
    }
  }
}

}  // namespace

std::filesystem::path WriterLock::lock_path_for(const std::filesystem::path& store_path) {
  std::filesystem::path lock = store_path;
  lock += ".lock";
  return lock;
}

WriterLock WriterLock::acquire(const std::filesystem::path& store_path) {
  return acquire(store_path, method_from_environment());
}

WriterLock WriterLock::acquire(const std::filesystem::path& store_path, LockMethod method) {
  const std::filesystem::path lock_path = lock_path_for(store_path);
  // A releasing writer unlinks the lock file while still holding it. Whoever opened the old file
  // and then got its lock must notice that the name now points elsewhere and try again, or two
  // writers could each hold a lock on a different file of the same name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Created here or found: a file we created is empty, and ours to remove if we fall back.
    bool created = true;
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) continue;  // removed between the two calls
    }
    GENSWEEP_CHECK(fd >= 0, StoreError, "store '{}': cannot create lock file '{}': {}",
                   store_path.string(), lock_path.string(), std::strerror(errno));
    // kExclusiveCreate takes exactly the path a file system without fcntl locks takes.
    int error = ENOLCK;
    if (method == LockMethod::kFcntl) {
      struct flock request {};
      request.l_type = F_WRLCK;
      request.l_whence = SEEK_SET;
      error = ::fcntl(fd, F_OFD_SETLK, &request) == 0 ? 0 : errno;
    }
    if (error == EAGAIN || error == EACCES) {
      const LockFileSnapshot held = read_lock_file(lock_path);
      ::close(fd);
      const auto holder = parse_holder(held.text);
      throw held_by_live_writer(store_path, lock_path,
                                holder ? holder->describe() : std::string("unknown holder"));
    }
    if (error != 0 && locking_unsupported(error)) {
      // The empty file we just created would look like a lock being written to the others.
      if (created) ::unlink(lock_path.c_str());
      ::close(fd);
      // Once per process, and only when the file system forces it (whoever forces it knows).
      static std::atomic<bool> noted{false};
      if (method == LockMethod::kFcntl && !noted.exchange(true))
        log::info(
            "the file system of '{}' has no fcntl locks ({}): store writers are excluded by "
            "exclusive creation of lock files instead",
            store_path.string(), std::strerror(error));
      WriterLock lock;
      lock.fd_ = acquire_by_exclusive_creation(store_path, lock_path);
      lock.path_ = lock_path;
      return lock;
    }
    if (error != 0) {
      ::close(fd);
      throw StoreError(fmt::format("store '{}': cannot lock '{}': {}", store_path.string(),
                                   lock_path.string(), std::strerror(error)));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) != 0 || ::stat(lock_path.c_str(), &named) != 0 ||
        held.st_dev != named.st_dev || held.st_ino != named.st_ino) {
      ::close(fd);
      continue;
    }
    // The kernel says nobody holds the lock. A file that still names a holder was left by a
    // writer that died holding it; unless that holder provably still runs, which means it locks
    // by exclusive creation (GENSWEEP_STORE_LOCK, or a host whose file system lacks fcntl locks).
    const Holder me = this_process();
    const std::string previous = read_lock_file(lock_path).text;
    if (!trim(previous).empty()) {
      const auto holder = parse_holder(previous);
      if (holder) {
        const Verdict verdict = judge(*holder, me);
        if (verdict.liveness == Liveness::kAlive) {
          ::close(fd);
          throw held_by_live_writer(store_path, lock_path, holder->describe());
        }
        report_takeover(
            store_path, lock_path, holder->describe(),
            verdict.liveness == Liveness::kGone ? verdict.reason : "its fcntl lock was released");
      } else {
        report_takeover(store_path, lock_path,
                        fmt::format("an unknown holder ('{}')", trim(previous.substr(0, 80))),
                        "its fcntl lock was released");
      }
    }
    // Informational for fcntl locks (it names the holder in errors), so failures are ignored.
    write_holder(fd, lock_file_text(me));
    WriterLock lock;
    lock.fd_ = fd;
    lock.path_ = lock_path;
    return lock;
  }
  throw StoreError(fmt::format("store '{}': lock file '{}' keeps being replaced; giving up",
                               store_path.string(), lock_path.string()));
}

WriterLock::WriterLock(WriterLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

WriterLock::~WriterLock() {
  release();
}

void WriterLock::release() noexcept {
  if (fd_ < 0) return;
  // Unlink while still holding the lock (see acquire), then let close() drop it. Only our own
  // file: should someone have removed it and made theirs, theirs stays.
  struct stat held {};
  struct stat named {};
  if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 &&
      held.st_dev == named.st_dev && held.st_ino == named.st_ino)
    ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace gensweep::store::detail
