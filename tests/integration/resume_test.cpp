// A real run killed mid-extraction (SIGTERM, as Slurm sends before a time limit, and SIGKILL, as a
// node failure does) resumes without redoing finished units, and its stores are bitwise identical
// to an uninterrupted run's.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "gensweep/store/feature_store.h"
#include "support.h"

extern char** environ;

namespace gensweep::testing {
namespace {

constexpr const char* kJob = R"(
[job]
name = "resume"
output = "out"

[compute]
threads = 1
batch_size = 2
unit_size = 2

[[datasets]]
id = "ref"
source = "folder"
path = "imgs"

[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 16
width = 16
input_size = 160

[[comparisons]]
reference = "ref"
evaluated = ["ref"]
)";

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test watches a store while the run writes it; HDF5's file lock would keep the watcher
    // out until the writer closes (writers still exclude each other with the store's own lock).
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    copy_cifar_images(dir_ / "imgs", 200, 60);
    std::string job = kJob;
    // A comparison needs two distinct datasets: compare against a derived copy.
    job.replace(job.find("evaluated = [\"ref\"]"), 19, "evaluated = [\"dark\"]");
    job +=
        "\n[[datasets]]\nid = \"dark\"\nsource = \"derived\"\nbase = \"ref\"\n"
        "distortion = { kind = \"color_shift\", shift = [-20, -20, -20] }\n";
    write_text(dir_ / "job.toml", job);
  }

  // Starts `gensweep run job.toml --output OUT --quiet` and returns its pid.
  pid_t start(const std::string& out) {
    std::vector<std::string> args = {GENSWEEP_BINARY, "run", "job.toml",
                                     "--output",      out,   "--quiet"};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, dir_.path().c_str());
    posix_spawn_file_actions_addopen(&actions, 2, (dir_ / (out + ".err")).c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  // Units finished so far in a store (0 while it does not exist yet).
  std::int64_t done_units(const std::filesystem::path& store) {
    try {
      auto p = store::FeatureStore::open_read(store).progress();
      return std::count(p.begin(), p.end(), std::uint8_t{1});
    } catch (const std::exception&) {
      return 0;
    }
  }

  // Kills the run with `sig` once a few units of the first store are done; returns the exit status.
  int interrupt(pid_t pid, int sig, const std::filesystem::path& store) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (done_units(store) < 3 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return status;  // finished before the signal
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }

  void expect_identical(const std::string& a, const std::string& b) {
    for (const char* ds : {"ref", "dark"}) {
      auto pa = dir_ / a / "stores" / ds / "cnn.h5", pb = dir_ / b / "stores" / ds / "cnn.h5";
      auto fa = read_store_features(pa), fb = read_store_features(pb);
      ASSERT_EQ(fa.values.size(), fb.values.size());
      EXPECT_EQ(0, std::memcmp(fa.values.data(), fb.values.data(), fa.values.size() * 4)) << ds;
      auto sa = store::FeatureStore::open_read(pa).read_statistics();
      auto sb = store::FeatureStore::open_read(pb).read_statistics();
      ASSERT_TRUE(sa && sb);
      EXPECT_EQ(sa->scatter, sb->scatter) << ds;
    }
  }

  TempDir dir_{"gensweep-resume"};
};

TEST_F(Resume, SigtermFinishesTheRoundExits75AndResumesBitwise) {
  ASSERT_EQ(
      run_gensweep({"run", "job.toml", "--output", "full", "--quiet"}, 0, dir_.path()).exit_code,
      0);
  pid_t pid = start("cut");
  int status = interrupt(pid, SIGTERM, dir_ / "cut" / "stores" / "ref" / "cnn.h5");
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 75) << read_text(dir_ / "cut.err");
  EXPECT_NE(read_text(dir_ / "cut.err").find("run the same command again to resume"),
            std::string::npos);
  const auto saved = done_units(dir_ / "cut" / "stores" / "ref" / "cnn.h5");
  EXPECT_GE(saved, 3);
  EXPECT_LT(saved, 30);
  auto again = run_gensweep({"run", "job.toml", "--output", "cut"}, 0, dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // Only the missing units were computed.
  EXPECT_NE(again.err.find(
                fmt::format("(resumed): 60 of 60 images valid, {} units computed", 30 - saved)),
            std::string::npos)
      << again.err;
  expect_identical("full", "cut");
}

TEST_F(Resume, SigkillLosesAtMostTheUnitsInFlightAndResumesBitwise) {
  ASSERT_EQ(
      run_gensweep({"run", "job.toml", "--output", "full", "--quiet"}, 0, dir_.path()).exit_code,
      0);
  pid_t pid = start("killed");
  int status = interrupt(pid, SIGKILL, dir_ / "killed" / "stores" / "ref" / "cnn.h5");
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto saved = done_units(dir_ / "killed" / "stores" / "ref" / "cnn.h5");
  EXPECT_GE(saved, 3);
  auto again = run_gensweep({"run", "job.toml", "--output", "killed"}, 0, dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("cnn.h5 (resumed)"), std::string::npos) << again.err;
  expect_identical("full", "killed");
}

}  // namespace
}  // namespace gensweep::testing
