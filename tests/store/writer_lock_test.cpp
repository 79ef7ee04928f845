// The store writer lock (src/store/writer_lock.h): stale locks of killed writers are taken over
// and reported, live holders are refused, with fcntl locks and with the exclusive-creation
// fallback for file systems without them. The fallback is forced with LockMethod::
// kExclusiveCreate (the same code path a file system without fcntl locks takes) or with
// GENSWEEP_STORE_LOCK=exclusive-create.
//
// Expected lock file contents and holder facts (host, boot id, process start times) are derived
// here from /proc and gethostname, independently of the lock's own code.

#include "writer_lock.h"

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"

#include "test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// Racing takeovers collide only when one contender removes the stale lock file between another's
// judging it and removing it: a window of microseconds. The race tests widen it by delaying
// every unlink() of a ".lock" file (this definition replaces the C library's for the whole
// executable, the store library included, as crash_safety_test.cpp does with pwrite).
static std::atomic<int> g_lock_unlink_delay_us{0};

extern "C" int unlink(const char* path) {
  const std::string_view name(path);
  if (g_lock_unlink_delay_us > 0 && name.size() > 5 && name.substr(name.size() - 5) == ".lock")
    usleep(static_cast<useconds_t>(g_lock_unlink_delay_us.load()));
  return static_cast<int>(syscall(SYS_unlinkat, AT_FDCWD, path, 0));
}

namespace gensweep::store::detail {
namespace {

using gensweep::testing::read_text;
using gensweep::testing::TempDir;
using gensweep::testing::write_text;

// ---- facts about processes, read independently of writer_lock.cpp ------------------------------

std::string host_name() {
  char host[256] = {};
  EXPECT_EQ(gethostname(host, sizeof(host) - 1), 0);
  return host;
}

std::string boot_id() {
  std::string id = read_text("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && id.back() == '\n')
    id.pop_back();
  return id;
}

// Field 22 of /proc/PID/stat (start time in clock ticks after boot). The command name in field 2
// may hold spaces, so count from the last ')' (field 3 is the first after it).
std::string start_time(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index)
    rest >> field;
  return field;
}

std::string lock_text(pid_t pid, const std::string& host, const std::string& boot,
                      const std::string& start) {
  return "pid " + std::to_string(pid) + " on host " + host + "\nboot_id " + boot + "\nstart_time " +
         start + "\n";
}

// A pid that certainly belongs to no process now: a child that has exited and been collected.
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(kill(child, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  return child;
}

std::string wait_for(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "unknown";
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  void send(char c = 'x') { EXPECT_EQ(write(fds[1], &c, 1), 1); }
  // The next byte, or nullopt after 60 s or at end of file.
  std::optional<char> receive() {
    pollfd p{fds[0], POLLIN, 0};
    char c = 0;
    if (poll(&p, 1, 60000) != 1 || read(fds[0], &c, 1) != 1) return std::nullopt;
    return c;
  }
};

// A child process holding the lock of `store` (taken with `method`) until told to let go, or
// killed. Its pid is the holder the lock file names.
class Holder {
 public:
  Holder(const std::filesystem::path& store, LockMethod method) {
    pid_ = fork();
    if (pid_ == 0) {
      char outcome = 'L';
      try {
        WriterLock lock = WriterLock::acquire(store, method);
        ready_.send('L');
        release_.receive();
      } catch (const std::exception&) {
        outcome = 'E';
        ready_.send(outcome);
      }
      _exit(outcome == 'L' ? 0 : 1);
    }
    EXPECT_EQ(ready_.receive(), std::optional<char>('L')) << "the child could not take the lock";
  }
  ~Holder() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void kill_hard() {
    kill(pid_, SIGKILL);
    EXPECT_EQ(wait_for(pid_), "signal 9");
    pid_ = -1;
  }
  void let_go() {
    release_.send();
    EXPECT_EQ(wait_for(pid_), "exit 0");
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  Pipe ready_;
  Pipe release_;
};

// A child that just sleeps: a live process whose pid a forged lock file can name.
class Sleeper {
 public:
  Sleeper() {
    pid_ = fork();
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~Sleeper() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

// Acquires with stderr captured; returns what was logged.
std::string acquire_logged(const std::filesystem::path& store, LockMethod method,
                           WriterLock& lock) {
  ::testing::internal::CaptureStderr();
  try {
    lock = WriterLock::acquire(store, method);
  } catch (...) {
    ::testing::internal::GetCapturedStderr();
    throw;
  }
  return ::testing::internal::GetCapturedStderr();
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string live_holder_message(const std::filesystem::path& store, pid_t pid) {
  return "store '" + store.string() + "' is being written by another process (pid " +
         std::to_string(pid) + " on host " + host_name() + "; lock file '" + store.string() +
         ".lock'): only one writer at a time";
}

std::string takeover_message(const std::filesystem::path& store, pid_t pid) {
  return "store '" + store.string() + "': took over the stale lock of pid " + std::to_string(pid) +
         " on host " + host_name() + " (a crashed or killed writer: ";
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Does anyone hold an fcntl lock on `path`? (Probed from a child: OFD locks of this process's
// other open file descriptions conflict too, so the probe would see our own.)
bool fcntl_locked(const std::filesystem::path& path) {
  const pid_t child = fork();
  if (child == 0) {
    const int fd = open(path.c_str(), O_RDWR);
    struct flock request {};
    request.l_type = F_WRLCK;
    request.l_whence = SEEK_SET;
    _exit(fcntl(fd, F_OFD_SETLK, &request) == 0 ? 0 : 1);
  }
  return wait_for(child) == "exit 1";
}

class WriterLockBothMethods : public ::testing::TestWithParam<LockMethod> {};

INSTANTIATE_TEST_SUITE_P(Methods, WriterLockBothMethods,
                         ::testing::Values(LockMethod::kFcntl, LockMethod::kExclusiveCreate),
                         [](const auto& info) {
                           return info.param == LockMethod::kFcntl ? "Fcntl" : "ExclusiveCreate";
                         });

// ---- both methods ------------------------------------------------------------------------------

TEST_P(WriterLockBothMethods, LockFileNamesTheHolderAndGoesAwayOnRelease) {
  TempDir dir;
  const auto store = dir / "s.h5";
  {
    WriterLock lock;
    EXPECT_EQ(acquire_logged(store, GetParam(), lock).find("took over"), std::string::npos);
    EXPECT_EQ(read_text(store.string() + ".lock"),
              lock_text(getpid(), host_name(), boot_id(), start_time(getpid())) + "pid_namespace " +
                  std::filesystem::read_symlink("/proc/self/ns/pid").string() + "\n");
    // Only the fcntl method holds a kernel lock.
    EXPECT_EQ(fcntl_locked(store.string() + ".lock"), GetParam() == LockMethod::kFcntl);
  }
  EXPECT_FALSE(std::filesystem::exists(store.string() + ".lock"));
}

TEST_P(WriterLockBothMethods, KilledHolderLeavesALockFileThatIsTakenOverAndReported) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  Holder holder(store, GetParam());
  const pid_t killed = holder.pid();
  holder.kill_hard();
  ASSERT_TRUE(std::filesystem::exists(lock_path));  // a killed writer cannot clean up
  EXPECT_EQ(first_line(read_text(lock_path)),
            "pid " + std::to_string(killed) + " on host " + host_name());

  WriterLock lock;
  const std::string logged = acquire_logged(store, GetParam(), lock);
  EXPECT_NE(logged.find(takeover_message(store, killed)), std::string::npos) << logged;
  EXPECT_NE(logged.find("lock file '" + lock_path + "'"), std::string::npos) << logged;
  EXPECT_EQ(first_line(read_text(lock_path)),
            "pid " + std::to_string(getpid()) + " on host " + host_name());
}

TEST_P(WriterLockBothMethods, LiveHolderIsRefusedByName) {
  TempDir dir;
  const auto store = dir / "s.h5";
  Holder holder(store, GetParam());
  const std::string held = read_text(store.string() + ".lock");
  EXPECT_THROW_WITH(WriterLock::acquire(store, GetParam()), StoreError,
                    live_holder_message(store, holder.pid()));
  EXPECT_EQ(read_text(store.string() + ".lock"), held);  // the refused writer changed nothing
  holder.let_go();
  // A clean release leaves nothing to take over.
  WriterLock lock;
  EXPECT_EQ(acquire_logged(store, GetParam(), lock), "");
}

TEST_P(WriterLockBothMethods, SecondLockInOneProcessIsRefused) {
  TempDir dir;
  const auto store = dir / "s.h5";
  WriterLock first = WriterLock::acquire(store, GetParam());
  EXPECT_THROW_WITH(WriterLock::acquire(store, GetParam()), StoreError,
                    "pid " + std::to_string(getpid()) + " on host " + host_name() +
                        ", that is this very process; lock file");
}

// A writer using one method must see a live holder using the other (one process forced to the
// fallback by GENSWEEP_STORE_LOCK, another not).
TEST(WriterLock, MixedMethodsStillExcludeEachOther) {
  TempDir dir;
  const auto store = dir / "s.h5";
  {
    Holder fallback(store, LockMethod::kExclusiveCreate);
    EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kFcntl), StoreError,
                      live_holder_message(store, fallback.pid()));
  }
  std::filesystem::remove(store.string() + ".lock");  // the holder above was killed
  Holder kernel(store, LockMethod::kFcntl);
  EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kExclusiveCreate), StoreError,
                    live_holder_message(store, kernel.pid()));
}

// ---- the exclusive-creation fallback with forged lock files -------------------------------------

TEST(WriterLockFallback, LockFileOfADeadPidIsTakenOver) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const pid_t dead = dead_pid();
  write_text(store.string() + ".lock", lock_text(dead, host_name(), boot_id(), "12345"));
  WriterLock lock;
  const std::string logged = acquire_logged(store, LockMethod::kExclusiveCreate, lock);
  EXPECT_NE(logged.find(takeover_message(store, dead) + "process " + std::to_string(dead) +
                        " is gone; lock file '" + store.string() + ".lock')"),
            std::string::npos)
      << logged;
  EXPECT_EQ(first_line(read_text(store.string() + ".lock")),
            "pid " + std::to_string(getpid()) + " on host " + host_name());
}

TEST(WriterLockFallback, ReusedPidIsTakenOverAndTheRightStartTimeIsNot) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  Sleeper alive;
  // Wait until the child runs as itself (its /proc entry exists from fork on).
  const std::string real_start = start_time(alive.pid());
  ASSERT_FALSE(real_start.empty());
  const std::string earlier = std::to_string(std::stoll(real_start) - 1);

  // The same pid with its real start time: its holder is alive.
  write_text(lock_path, lock_text(alive.pid(), host_name(), boot_id(), real_start));
  EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kExclusiveCreate), StoreError,
                    live_holder_message(store, alive.pid()));

  // An older start time: the holder died and its pid went to this newer process.
  write_text(lock_path, lock_text(alive.pid(), host_name(), boot_id(), earlier));
  WriterLock lock;
  const std::string logged = acquire_logged(store, LockMethod::kExclusiveCreate, lock);
  EXPECT_NE(
      logged.find(takeover_message(store, alive.pid()) + "pid " + std::to_string(alive.pid()) +
                  " now belongs to another process (started "
                  "at tick " +
                  real_start + ", the holder at tick " + earlier + ")"),
      std::string::npos)
      << logged;
}

TEST(WriterLockFallback, LockFileOfAnotherBootIsTakenOver) {
  TempDir dir;
  const auto store = dir / "s.h5";
  // Our own pid and start time: only the boot id says the holder is from before a reboot.
  const std::string other_boot = "00000000-1111-2222-3333-444444444444";
  ASSERT_NE(other_boot, boot_id());
  write_text(store.string() + ".lock",
             lock_text(getpid(), host_name(), other_boot, start_time(getpid())));
  WriterLock lock;
  const std::string logged = acquire_logged(store, LockMethod::kExclusiveCreate, lock);
  EXPECT_NE(logged.find(takeover_message(store, getpid()) + "host " + host_name() +
                        " has rebooted since (boot id " + other_boot + ", now " + boot_id() + ")"),
            std::string::npos)
      << logged;
}

TEST(WriterLockFallback, LockFileOfAnotherHostIsRefusedWithAdvice) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  const std::string other_host = host_name() + "-elsewhere";
  // A pid that is dead here says nothing about a process on another host.
  const pid_t pid = dead_pid();
  const std::string forged = lock_text(pid, other_host, boot_id(), "12345");
  write_text(lock_path, forged);
  EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kExclusiveCreate), StoreError,
                    "store '" + store.string() + "' is locked by pid " + std::to_string(pid) +
                        " on host " + other_host + " (lock file '" + lock_path +
                        "'), which cannot be checked from here: it is on another host than this "
                        "one (" +
                        host_name() + "). If that job is gone, delete the lock file and run again");
  EXPECT_EQ(read_text(lock_path), forged);  // left for a person to judge
  // Following the advice works.
  std::filesystem::remove(lock_path);
  WriterLock lock = WriterLock::acquire(store, LockMethod::kExclusiveCreate);
}

TEST(WriterLockFallback, OldFormatWithOnlyTheFirstLineIsJudgedByThePid) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  Sleeper alive;
  // No start time to compare: a running pid must be taken as the holder.
  write_text(lock_path, "pid " + std::to_string(alive.pid()) + " on host " + host_name() + "\n");
  EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kExclusiveCreate), StoreError,
                    live_holder_message(store, alive.pid()));
  const pid_t dead = dead_pid();
  write_text(lock_path, "pid " + std::to_string(dead) + " on host " + host_name() + "\n");
  WriterLock lock;
  EXPECT_NE(
      acquire_logged(store, LockMethod::kExclusiveCreate, lock).find(takeover_message(store, dead)),
      std::string::npos);
}

TEST(WriterLockFallback, DamagedOldLockFileIsAnErrorNamingTheFile) {
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  write_text(lock_path, "locked by somebody\n");
  // An hour old: not a lock file its creator is still writing.
  const timeval an_hour_ago[2] = {{time(nullptr) - 3600, 0}, {time(nullptr) - 3600, 0}};
  ASSERT_EQ(utimes(lock_path.c_str(), an_hour_ago), 0);
  EXPECT_THROW_WITH(WriterLock::acquire(store, LockMethod::kExclusiveCreate), StoreError,
                    "store '" + store.string() + "': lock file '" + lock_path +
                        "' holds 'locked by somebody' (expected a first line \"pid P on host "
                        "H\"): a writer killed while creating it? If no writer of this store is "
                        "running, delete the file");
}

TEST(WriterLockFallback, EnvironmentVariableForcesIt) {
  TempDir dir;
  const auto store = dir / "s.h5";
  {
    ScopedEnv env(kLockMethodVariable, "exclusive-create");
    WriterLock lock = WriterLock::acquire(store);
    EXPECT_FALSE(fcntl_locked(store.string() + ".lock"));
    EXPECT_TRUE(std::filesystem::exists(store.string() + ".lock"));
  }
  {
    ScopedEnv env(kLockMethodVariable, "fcntl");
    WriterLock lock = WriterLock::acquire(store);
    EXPECT_TRUE(fcntl_locked(store.string() + ".lock"));
  }
  ScopedEnv env(kLockMethodVariable, "flock");
  EXPECT_THROW_WITH(WriterLock::acquire(store), UsageError,
                    "environment variable GENSWEEP_STORE_LOCK='flock': expected 'fcntl' or "
                    "'exclusive-create'");
}

// Processes that all find the same stale lock file and take it over at once: exactly one may win,
// every other must be refused by name of the winner, and no round may leave two holders.
void race_for_stale_lock(int processes, int rounds, int unlink_delay_us) {
  g_lock_unlink_delay_us = unlink_delay_us;
  struct ResetDelay {
    ~ResetDelay() { g_lock_unlink_delay_us = 0; }
  } reset;
  TempDir dir;
  const auto store = dir / "s.h5";
  const auto lock_path = store.string() + ".lock";
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    write_text(lock_path, lock_text(dead_pid(), host_name(), boot_id(), "12345"));
    Pipe go;
    Pipe results;
    Pipe release;
    std::vector<pid_t> children;
    for (int i = 0; i < processes; ++i) {
      const pid_t child = fork();
      if (child == 0) {
        gensweep::log::set_level(
            gensweep::log::Level::kWarn);  // one takeover line per round is no news here
        go.receive();
        char outcome = 'W';
        std::string message;
        try {
          {
            WriterLock lock = WriterLock::acquire(store, LockMethod::kExclusiveCreate);
            results.send('W');
            release.receive();  // hold it until every contender has tried
          }
          _exit(0);
        } catch (const StoreError& e) {
          message = e.what();
          outcome = message.find("is being written by another process (pid ") != std::string::npos
                        ? 'L'
                        : 'E';
        } catch (...) {
          outcome = 'E';
        }
        if (outcome == 'E') std::fprintf(stderr, "contender failed: %s\n", message.c_str());
        results.send(outcome);
        _exit(0);
      }
      children.push_back(child);
    }
    for (int i = 0; i < processes; ++i)
      go.send();
    int winners = 0;
    int refused = 0;
    for (int i = 0; i < processes; ++i) {
      const auto outcome = results.receive();
      ASSERT_TRUE(outcome.has_value()) << "a contender did not answer within 60 s";
      winners += *outcome == 'W';
      refused += *outcome == 'L';
    }
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(refused, processes - 1);
    // The lock file names one of the contenders, and no takeover guard is left behind.
    const std::string holder = first_line(read_text(lock_path));
    bool names_a_contender = false;
    for (pid_t child : children)
      names_a_contender |= holder == "pid " + std::to_string(child) + " on host " + host_name();
    EXPECT_TRUE(names_a_contender) << holder;
    EXPECT_FALSE(std::filesystem::exists(lock_path + ".takeover"));
    for (int i = 0; i < processes; ++i)
      release.send();
    for (pid_t child : children)
      EXPECT_EQ(wait_for(child), "exit 0");
    EXPECT_FALSE(std::filesystem::exists(lock_path));  // the winner released it cleanly
    if (::testing::Test::HasFailure()) return;
  }
}

// Without the takeover guard (checked by removing it) the delayed rounds give two winners.
TEST(WriterLockFallback, TwoProcessesRacingForAStaleLockOneWins) {
  race_for_stale_lock(2, 50, 0);
  race_for_stale_lock(2, 50, 2000);
}

TEST(WriterLockFallback, FourProcessesRacingForAStaleLockOneWins) {
  race_for_stale_lock(4, 20, 0);
  race_for_stale_lock(4, 20, 2000);
}

}  // namespace
}  // namespace gensweep::store::detail
