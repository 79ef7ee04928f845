#include "writer_lock.h"

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace gensweep::store::detail {
namespace {

std::string holder_description(int fd) {
  char buffer[256] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  std::string text = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text.empty() ? "unknown holder" : text;
}

bool locking_unsupported(int error) {
  return error == ENOLCK || error == ENOSYS || error == EOPNOTSUPP || error == EINVAL;
}

}  // namespace

std::filesystem::path WriterLock::lock_path_for(const std::filesystem::path& store_path) {
  std::filesystem::path lock = store_path;
  lock += ".lock";
  return lock;
}

WriterLock WriterLock::acquire(const std::filesystem::path& store_path) {
  const std::filesystem::path lock_path = lock_path_for(store_path);
  // A releasing writer unlinks the lock file while still holding it. Whoever opened the old file
  // and then got its lock must notice that the name now points elsewhere and try again, or two
  // writers could each hold a lock on a different file of the same name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    GENSWEEP_CHECK(fd >= 0, StoreError, "store '{}': cannot create lock file '{}': {}",
                   store_path.string(), lock_path.string(), std::strerror(errno));
    struct flock request {};
    request.l_type = F_WRLCK;
    request.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &request) != 0) {
      const int error = errno;
      if (error == EAGAIN || error == EACCES) {
        std::string holder = holder_description(fd);
        ::close(fd);
        if (holder.rfind(fmt::format("pid {} ", ::getpid()), 0) == 0)
          holder += ", that is this very process";
        throw StoreError(fmt::format(
            "store '{}' is being written by another process ({}; lock file '{}'): only one "
            "writer at a time",
            store_path.string(), holder, lock_path.string()));
      }
      if (locking_unsupported(error)) {
        static bool warned = false;
        if (!warned) {
          warned = true;
          log::warn(
              "file system of '{}' does not support file locks ({}): nothing stops two "
              "processes from writing one store at once",
              store_path.string(), std::strerror(error));
        }
        WriterLock unlocked;
        unlocked.fd_ = fd;
        unlocked.path_ = lock_path;
        return unlocked;
      }
      ::close(fd);
      throw StoreError(fmt::format("store '{}': cannot lock '{}': {}", store_path.string(),
                                   lock_path.string(), std::strerror(error)));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      char host[256] = {};
      ::gethostname(host, sizeof(host) - 1);
      const std::string who = fmt::format("pid {} on host {}\n", ::getpid(), host);
      // Informational only (it names the holder in the error above), so failures are ignored.
      if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] ssize_t written = ::write(fd, who.data(), who.size());
      }
      WriterLock lock;
      lock.fd_ = fd;
      lock.path_ = lock_path;
      return lock;
    }
    ::close(fd);
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
  // Unlink while still holding the lock (see acquire), then let close() drop it.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace gensweep::store::detail
