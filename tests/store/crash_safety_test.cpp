// Crash safety and writer exclusion, proven with real processes:
//  - a child writes units in a loop and is SIGKILLed at random moments, many times over;
//  - a child is killed exactly before (or in the middle of) its k-th write system call, for every k
//    of a scenario, so that every point where a crash can land is tried once;
//  - writers exclude each other (and readers) across processes and inside one.
// After every kill the store must reopen for writing, every unit marked done must hold exactly the
// bytes written, and the store must be finishable.

#include "gensweep/store/feature_store.h"

#include "gensweep/core/error.h"

#include "store_test_util.h"
#include "test_util.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <thread>

// ---- crash injection ---------------------------------------------------------------------------
// HDF5's sec2 driver writes through pwrite(). Defining pwrite in the test executable interposes it
// for libhdf5 (the executable comes first in symbol lookup), so the test can count HDF5's writes
// and kill the process at an exact one. Disarmed it is a plain pass-through.
namespace {
std::atomic<long> g_pwrite_count{0};
long g_kill_at = 0;             // 0 = never kill
bool g_kill_mid_write = false;  // tear the k-th write at a page boundary, then die
}  // namespace

extern "C" ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  const long n = ++g_pwrite_count;
  // TRACE_PWRITE=1 lists every write, to see what a scenario touches when a test fails.
  if (std::getenv("TRACE_PWRITE"))
    std::fprintf(stderr, "pwrite #%ld fd=%d count=%zu offset=%lld\n", n, fd, count,
                 static_cast<long long>(offset));
  if (g_kill_at > 0 && n == g_kill_at) {
    // A fatal signal can cut a write to a regular file short only between pages (the kernel copies
    // page by page and checks for it in between), so a torn write keeps whole pages of its start.
    // Writes within one page are atomic with respect to SIGKILL: "before" covers them.
    const off_t first_boundary = (offset / 4096 + 1) * 4096;
    if (g_kill_mid_write && offset + static_cast<off_t>(count) > first_boundary)
      syscall(SYS_pwrite64, fd, buffer, static_cast<size_t>(first_boundary - offset), offset);
    raise(SIGKILL);
  }
  return syscall(SYS_pwrite64, fd, buffer, count, offset);
}

namespace gensweep::store {
namespace {

using gensweep::testing::TempDir;
using namespace gensweep::store::testing;

StoreLayout crash_layout() {
  StoreLayout layout;
  layout.rows = 40;
  layout.dim = 16;
  layout.unit_size = 8;
  layout.logits_dim = 4;
  return layout;
}

StoredStatistics statistics(double seed, std::int64_t dim) {
  StoredStatistics stats;
  stats.count = static_cast<std::int64_t>(seed * 10);
  for (std::int64_t i = 0; i < dim; ++i)
    stats.mean.push_back(seed + i / 7.0);
  for (std::int64_t i = 0; i < dim * dim; ++i)
    stats.scatter.push_back(seed * i / 3.0);
  return stats;
}

bool same_statistics(const StoredStatistics& a, const StoredStatistics& b) {
  return a.count == b.count && a.mean == b.mean && a.scatter == b.scatter;
}

// Waits for a child; returns "exit N" or "signal N".
std::string wait_for(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "unknown";
}

// Reopens after a crash, checks every done unit, and returns the store for further checks.
FeatureStore reopen_and_check(const std::filesystem::path& path, const std::string& when) {
  SCOPED_TRACE(when);
  FeatureStore store = FeatureStore::open_write(path);  // must not throw
  expect_done_units_intact(store);
  return store;
}

void finish_and_check(FeatureStore& store) {
  for (std::int64_t u = 0; u < store.num_units(); ++u)
    if (!store.progress()[static_cast<std::size_t>(u)]) write_test_unit(store, u);
  EXPECT_TRUE(store.is_complete());
  EXPECT_EQ(expect_done_units_intact(store), store.num_units());
}

// ---- random SIGKILLs ---------------------------------------------------------------------------

TEST(CrashSafety, RandomSigkillsWhileWritingUnits) {
  TempDir dir;
  const auto path = dir / "s.h5";
  StoreLayout layout;
  layout.rows = 3000;
  layout.dim = 128;
  layout.unit_size = 32;
  layout.logits_dim = 8;
  FeatureStore::create(path, layout, make_ids(layout.rows), make_provenance());

  // The child writes every unit not yet done, in a shuffled order, until it is killed.
  const auto run_writer = [&](unsigned seed) -> pid_t {
    const pid_t child = fork();
    if (child == 0) {
      try {
        FeatureStore store = FeatureStore::open_write(path);
        std::vector<std::int64_t> order;
        for (std::int64_t u = 0; u < store.num_units(); ++u)
          if (!store.progress()[static_cast<std::size_t>(u)]) order.push_back(u);
        std::shuffle(order.begin(), order.end(), std::mt19937(seed));
        for (std::int64_t u : order)
          write_test_unit(store, u);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer: %s\n", e.what());
        _exit(1);
      }
      _exit(0);
    }
    return child;
  };

  // Time one full run on a scratch copy, so that kill times spread over a whole run.
  const auto scratch = dir / "scratch.h5";
  std::filesystem::copy_file(path, scratch);
  const auto start = std::chrono::steady_clock::now();
  {
    FeatureStore store = FeatureStore::open_write(scratch);
    for (std::int64_t u = 0; u < store.num_units(); ++u)
      write_test_unit(store, u);
  }
  const auto full_run = std::chrono::steady_clock::now() - start;
  const auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(full_run).count();

  std::mt19937 rng(2026);
  std::int64_t previously_done = 0;
  int kills = 0;
  for (int round = 0; round < 25; ++round) {
    const pid_t child = run_writer(static_cast<unsigned>(round));
    // Spread over about a fifth of a full run, so that many rounds are needed to finish.
    const auto delay = std::uniform_int_distribution<long>(0, std::max<long>(1, full_us / 5))(rng);
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    kill(child, SIGKILL);
    const std::string outcome = wait_for(child);
    ASSERT_TRUE(outcome == "signal 9" || outcome == "exit 0") << outcome;
    kills += outcome == "signal 9";
    FeatureStore store = reopen_and_check(path, "after round " + std::to_string(round));
    const std::int64_t done = expect_done_units_intact(store);
    EXPECT_GE(done, previously_done) << "a finished unit was lost";
    previously_done = done;
    if (store.is_complete()) break;
  }
  std::printf("%d kills; %lld of %lld units were done before the test finished the store\n", kills,
              static_cast<long long>(previously_done),
              static_cast<long long>((layout.rows + 31) / 32));
  EXPECT_GE(kills, 3);  // usually 5 or more; kill times depend on machine load
  FeatureStore store = FeatureStore::open_write(path);
  finish_and_check(store);
}

// ---- every crash point
// ---------------------------------------------------------------------------

// Reopens the prepared store and writes two new units (one with a failure), rewrites a done unit,
// and replaces the statistics.
void unit_scenario(const std::filesystem::path& path) {
  FeatureStore store = FeatureStore::open_write(path);
  write_test_unit(store, 2);
  write_test_unit(store, 3);  // row 24 fails
  write_test_unit(store, 0);  // rewriting a done unit
  store.write_statistics(statistics(2.0, store.layout().dim));
}

void prepare(const std::filesystem::path& path) {
  FeatureStore store =
      FeatureStore::create(path, crash_layout(), make_ids(crash_layout().rows), make_provenance());
  write_test_unit(store, 0);
  write_test_unit(store, 1);
  store.write_statistics(statistics(1.0, store.layout().dim));
}

// Runs `scenario` in a child killed at its k-th pwrite; returns how the child ended.
template <typename Scenario>
std::string run_killed_at(long k, bool mid_write, Scenario&& scenario) {
  const pid_t child = fork();
  if (child == 0) {
    g_pwrite_count = 0;
    g_kill_at = k;
    g_kill_mid_write = mid_write;
    try {
      scenario();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "scenario: %s\n", e.what());
      _exit(1);
    }
    _exit(0);
  }
  return wait_for(child);
}

template <typename Scenario>
long count_pwrites(Scenario&& scenario) {
  g_pwrite_count = 0;
  scenario();
  return g_pwrite_count;
}

TEST(CrashSafety, KillAtEveryWriteOfUnitsAndStatistics) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  prepare(pristine);
  const auto path = dir / "s.h5";
  std::filesystem::copy_file(pristine, path);
  const long writes = count_pwrites([&] { unit_scenario(path); });
  ASSERT_GT(writes, 5);
  std::printf("the scenario makes %ld pwrite calls; killing before and in the middle of each\n",
              writes);
  for (const bool mid_write : {false, true}) {
    for (long k = 1; k <= writes; ++k) {
      const std::string when =
          std::string(mid_write ? "torn" : "before") + " write " + std::to_string(k);
      std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
      ASSERT_EQ(run_killed_at(k, mid_write, [&] { unit_scenario(path); }), "signal 9") << when;
      FeatureStore store = reopen_and_check(path, when);
      EXPECT_EQ(store.progress()[1], 1) << when << ": a unit nobody touched lost its mark";
      const auto stats = store.read_statistics();
      if (stats) {
        EXPECT_TRUE(same_statistics(*stats, statistics(1.0, 16)) ||
                    same_statistics(*stats, statistics(2.0, 16)))
            << when << ": statistics are neither the old nor the new ones";
      }
      finish_and_check(store);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// create() and set_attribute change HDF5 metadata. create() builds under a temporary name and
// renames, so a kill leaves either the old store or the new one. set_attribute is the one metadata
// change on a live store; it is arranged to rewrite a single block (see feature_store.cpp), and a
// kill at each of its writes must leave the store readable, with the attribute old or new.
TEST(CrashSafety, KillAtEveryWriteOfCreateAndSetAttribute) {
  TempDir dir;
  const auto pristine = dir / "pristine.h5";
  prepare(pristine);
  const auto path = dir / "s.h5";

  // create() over an existing store: afterwards the path holds the old store or a new empty one.
  std::filesystem::copy_file(pristine, path);
  const auto recreate = [&] {
    FeatureStore::create(path, crash_layout(), make_ids(crash_layout().rows),
                         {{"backbone", "new"}});
  };
  const long create_writes = count_pwrites(recreate);
  for (long k = 1; k <= create_writes; ++k) {
    std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
    ASSERT_EQ(run_killed_at(k, true, recreate), "signal 9") << "create, write " << k;
    FeatureStore store = reopen_and_check(path, "create, write " + std::to_string(k));
    const bool old_store = store.provenance().at("backbone") == "random-cnn";
    EXPECT_EQ(store.progress()[0], old_store ? 1 : 0);
  }

  // New keys, a 500-byte value, and a replaced value: each is one rewrite of the root object
  // header.
  const std::string note(500, 'n');
  const auto set_attribute = [&] {
    FeatureStore store = FeatureStore::open_write(path);
    store.set_attribute("complete_utc", "2026-11-23T00:00:00Z");
    store.set_attribute("note", note);
    store.set_attribute("complete_utc", "2026-11-23T00:00:01Z");
  };
  std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
  const long attribute_writes = count_pwrites(set_attribute);
  std::printf("create makes %ld pwrite calls, set_attribute %ld\n", create_writes,
              attribute_writes);
  for (const bool mid_write : {false, true}) {
    for (long k = 1; k <= attribute_writes; ++k) {
      const std::string when = std::string("set_attribute, ") + (mid_write ? "torn" : "before") +
                               " write " + std::to_string(k);
      std::filesystem::copy_file(pristine, path, std::filesystem::copy_options::overwrite_existing);
      ASSERT_EQ(run_killed_at(k, mid_write, set_attribute), "signal 9") << when;
      FeatureStore store = reopen_and_check(path, when);
      const auto& provenance = store.provenance();
      const auto found = provenance.find("complete_utc");
      if (found != provenance.end()) {
        EXPECT_TRUE(found->second == "2026-11-23T00:00:00Z" ||
                    found->second == "2026-11-23T00:00:01Z")
            << when << ": " << found->second;
      }
      if (provenance.count("note")) {
        EXPECT_EQ(provenance.at("note"), note) << when;
      }
      EXPECT_EQ(provenance.at("backbone_identity"), "ab12") << when;
    }
  }
}

// ---- one writer at a time
// ------------------------------------------------------------------------

TEST(StoreLocking, SecondWriterInTheSameProcessIsRefused) {
  TempDir dir;
  const auto path = dir / "s.h5";
  FeatureStore first = FeatureStore::create(path, crash_layout(), make_ids(40), {});
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError,
                    "store '" + path.string() + "' is being written by another process (pid " +
                        std::to_string(getpid()));
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError, "that is this very process");
  EXPECT_THROW_WITH(FeatureStore::create(path, crash_layout(), make_ids(40), {}), StoreError,
                    "only one writer at a time");
  // Reading in the same process while it writes is fine (HDF5 shares the open file).
  EXPECT_EQ(FeatureStore::open_read(path).num_units(), 5);
}

TEST(StoreLocking, WriterAfterAReaderInTheSameProcessIsRefusedClearly) {
  TempDir dir;
  const auto path = dir / "s.h5";
  FeatureStore::create(path, crash_layout(), make_ids(40), {});
  FeatureStore reader = FeatureStore::open_read(path);
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError,
                    "store '" + path.string() +
                        "' is already open read-only in this process: close its readers before "
                        "opening it for writing");
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".lock"));
  { auto closing = std::move(reader); }
  EXPECT_TRUE(FeatureStore::open_write(path).writable());
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  void send() { EXPECT_EQ(write(fds[1], "x", 1), 1); }
  void receive() {
    char c = 0;
    EXPECT_EQ(read(fds[0], &c, 1), 1);
  }
};

TEST(StoreLocking, WriterInAnotherProcessExcludesWritersAndReaders) {
  TempDir dir;
  const auto path = dir / "s.h5";
  {
    FeatureStore store = FeatureStore::create(path, crash_layout(), make_ids(40), {});
    write_test_unit(store, 0);
  }
  Pipe ready;
  Pipe release;
  const pid_t child = fork();
  if (child == 0) {
    FeatureStore store = FeatureStore::open_write(path);
    ready.send();
    release.receive();
    _exit(0);
  }
  ready.receive();
  const auto size = std::filesystem::file_size(path);
  const std::string holder = "is being written by another process (pid " + std::to_string(child);
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError, holder);
  // create() must not destroy the store it cannot take (HDF5 alone would truncate it first).
  EXPECT_THROW_WITH(FeatureStore::create(path, crash_layout(), make_ids(40), {}), StoreError,
                    holder);
  EXPECT_EQ(std::filesystem::file_size(path), size);
  EXPECT_THROW_WITH(FeatureStore::open_read(path), StoreError,
                    "store '" + path.string() + "' is open in another process (HDF5 file lock");
  release.send();
  EXPECT_EQ(wait_for(child), "exit 0");
  FeatureStore store = FeatureStore::open_write(path);
  EXPECT_EQ(store.progress()[0], 1);
}

// The store catalogue calls such a store "being written now" (partial), not damaged (stale).
TEST(StoreLocking, OpenReadUnlessLockedAnswersNulloptForAWriterInAnotherProcess) {
  TempDir dir;
  const auto path = dir / "s.h5";
  FeatureStore::create(path, crash_layout(), make_ids(40), {});
  Pipe ready;
  Pipe release;
  const pid_t child = fork();
  if (child == 0) {
    FeatureStore store = FeatureStore::open_write(path);
    ready.send();
    release.receive();
    _exit(0);
  }
  ready.receive();
  EXPECT_FALSE(FeatureStore::open_read_unless_locked(path).has_value());
  release.send();
  EXPECT_EQ(wait_for(child), "exit 0");
  const auto store = FeatureStore::open_read_unless_locked(path);
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->layout().rows, 40);
  // Anything else is still an error.
  std::ofstream(path, std::ios::trunc) << "not a store";
  EXPECT_THROW_WITH(FeatureStore::open_read_unless_locked(path), StoreError, "is not an HDF5 file");
}

TEST(StoreLocking, ReaderInAnotherProcessExcludesAWriter) {
  TempDir dir;
  const auto path = dir / "s.h5";
  FeatureStore::create(path, crash_layout(), make_ids(40), {});
  Pipe ready;
  Pipe release;
  const pid_t child = fork();
  if (child == 0) {
    FeatureStore store = FeatureStore::open_read(path);
    ready.send();
    release.receive();
    _exit(0);
  }
  ready.receive();
  EXPECT_THROW_WITH(FeatureStore::open_write(path), StoreError, "is open in another process");
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".lock"));  // the failed writer cleaned up
  release.send();
  EXPECT_EQ(wait_for(child), "exit 0");
  FeatureStore::open_write(path);
}

TEST(StoreLocking, KilledWriterLeavesNoStaleLock) {
  TempDir dir;
  const auto path = dir / "s.h5";
  FeatureStore::create(path, crash_layout(), make_ids(40), {});
  Pipe ready;
  const pid_t child = fork();
  if (child == 0) {
    FeatureStore store = FeatureStore::open_write(path);
    ready.send();
    pause();
    _exit(0);
  }
  ready.receive();
  kill(child, SIGKILL);
  EXPECT_EQ(wait_for(child), "signal 9");
  EXPECT_TRUE(std::filesystem::exists(path.string() + ".lock"));  // the file stays...
  FeatureStore store = FeatureStore::open_write(path);            // ...but the lock is gone
  EXPECT_TRUE(store.writable());
}

}  // namespace
}  // namespace gensweep::store
