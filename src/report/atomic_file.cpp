#include "gensweep/report/atomic_file.h"

#include "gensweep/core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace gensweep::report {
namespace {

std::string system_reason(int error) {
  return std::strerror(error);
}

// Owns the temporary file until it has been renamed: closes the descriptor and removes the file on
// every early exit, so a failed write leaves nothing behind.
class TempFile {
 public:
  TempFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  // Closes the descriptor; returns errno on failure (close reports deferred write errors on NFS).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void release() { path_.clear(); }

 private:
  int fd_;
  std::filesystem::path path_;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  GENSWEEP_CHECK(!path.filename().empty(), IoError, "cannot write '{}': not a file name",
                 path.string());
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";

  // Same directory as the target: rename is atomic only within one file system. The pid and a
  // counter keep concurrent writers (threads, or ranks sharing a directory) apart.
  static std::atomic<unsigned> counter{0};
  int fd = -1;
  std::filesystem::path temp;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = dir / fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int error = errno;
    GENSWEEP_CHECK(fd >= 0 || error == EEXIST, IoError, "cannot write '{}': {}", path.string(),
                   system_reason(error));
  }
  GENSWEEP_CHECK(fd >= 0, IoError, "cannot write '{}': no free temporary name", path.string());
  TempFile file(fd, temp);

  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(file.fd(), data, left);
    int error = n < 0 ? errno : EIO;
    if (n < 0 && error == EINTR) continue;
    GENSWEEP_CHECK(n > 0, IoError, "cannot write '{}': {}", path.string(), system_reason(error));
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  // fsync before rename: otherwise a power loss can leave the new name pointing at empty data.
  int sync_error = ::fsync(file.fd()) == 0 ? 0 : errno;
  GENSWEEP_CHECK(sync_error == 0, IoError, "cannot write '{}': fsync: {}", path.string(),
                 system_reason(sync_error));
  int close_error = file.close();
  GENSWEEP_CHECK(close_error == 0, IoError, "cannot write '{}': close: {}", path.string(),
                 system_reason(close_error));
  int rename_error = ::rename(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
  GENSWEEP_CHECK(rename_error == 0, IoError, "cannot write '{}': {}", path.string(),
                 system_reason(rename_error));
  file.release();

  // Make the rename itself durable. Best effort: some file systems refuse fsync on a directory,
  // and the file is already complete under its final name.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace gensweep::report
