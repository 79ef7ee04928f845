#pragma once
// A scratch workspace for job-file tests: real folders and files (the loader checks paths), a
// presets file, and helpers that load a job text and return the Job or the exact error message.

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "gensweep/config/job.h"
#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "test_util.h"

namespace gensweep::config::testing {

namespace fs = std::filesystem;

// Presets used by the tests (line numbers matter: messages point into this file).
inline constexpr std::string_view kTestPresets = R"([presets.pix-16]
kind = "pixels"
size = 16

[presets.rcnn-small]
kind = "random-cnn"
dim = 64
seed = 7

[presets.inception]
kind = "fid-inception"
weights = "../weights/inception.pth"
layer = "2048"
)";

// A valid job; tests that need an error start from their own text.
inline constexpr std::string_view kMinimalJob = R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"

[[datasets]]
id = "eval"
source = "folder"
path = "data/b"

[[backbones]]
id = "pix"
kind = "pixels"

[[comparisons]]
reference = "real"
evaluated = ["eval"]
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "data" / "a");
    fs::create_directories(dir_.path() / "data" / "b");
    fs::create_directories(dir_.path() / "presets");
    fs::create_directories(dir_.path() / "weights");
    ::gensweep::testing::write_text(dir_ / "feats.npy", "stand-in");
    ::gensweep::testing::write_text(dir_ / "feats.h5", "stand-in");
    ::gensweep::testing::write_text(dir_ / "weights" / "inception.pth", "stand-in");
    ::gensweep::testing::write_text(presets_file(), std::string(kTestPresets));
    options_.presets_dir = dir_.path() / "presets";
    options_.known_metrics = {"fd", "kid", "precision"};
  }

  fs::path root() const { return dir_.path(); }
  fs::path job_file() const { return dir_.path() / "job.toml"; }
  fs::path presets_file() const { return dir_.path() / "presets" / "backbones.toml"; }
  std::string abs(const std::string& relative) const { return (dir_.path() / relative).string(); }

  Job load(std::string_view text) {
    ::gensweep::testing::write_text(job_file(), std::string(text));
    return load_job(job_file(), options_);
  }

  // The message of the ConfigError that loading `text` throws ("" and a failure when none).
  std::string error_of(std::string_view text) {
    try {
      load(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError for:\n" << text;
    return "";
  }

  // "<job file>:line:column: rest"
  std::string at(int line, int column, std::string_view rest) const {
    return fmt::format("{}:{}:{}: {}", job_file().string(), line, column, rest);
  }
  // "<presets file>:line:column: rest"
  std::string in_presets(int line, int column, std::string_view rest) const {
    return fmt::format("{}:{}:{}: {}", presets_file().string(), line, column, rest);
  }

  ::gensweep::testing::TempDir dir_{"gensweep-config"};
  LoadOptions options_;
};

// kMinimalJob with `extra` appended (extra starts on line 23).
inline std::string minimal_plus(std::string_view extra) {
  return std::string(kMinimalJob) + "\n" + std::string(extra);
}

}  // namespace gensweep::config::testing
