#pragma once
// Helpers shared by every test: exact-message exception checks, temporary directories, and the
// location of ../shared (golden values, images, weights).

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace gensweep::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "gensweep-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// ../shared, or an empty path when it is absent (tests then GTEST_SKIP with a reason).
std::filesystem::path shared_dir();
std::filesystem::path source_dir();
// tests/data inside the repository (small data shipped with the tests).
std::filesystem::path test_data_dir();

void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);

}  // namespace gensweep::testing

// Skips the test with a reason when ../shared (or a file inside it) is missing.
#define GENSWEEP_REQUIRE_SHARED(relative)                                                   \
  do {                                                                                      \
    auto gensweep_shared_path_ = ::gensweep::testing::shared_dir() / (relative);            \
    if (::gensweep::testing::shared_dir().empty() ||                                        \
        !std::filesystem::exists(gensweep_shared_path_))                                    \
      GTEST_SKIP() << "needs ../shared/" << (relative) << " (not present on this machine)"; \
  } while (0)

// Checks that `statement` throws `exception_type` whose what() contains `substring`.
#define EXPECT_THROW_WITH(statement, exception_type, substring)                       \
  do {                                                                                \
    try {                                                                             \
      statement;                                                                      \
      ADD_FAILURE() << "expected " #exception_type " containing \"" << (substring)    \
                    << "\", nothing was thrown";                                      \
    } catch (const exception_type& e) {                                               \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)             \
          << "message was: " << e.what() << "\nexpected to contain: " << (substring); \
    }                                                                                 \
  } while (0)
