#include "gensweep/core/files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gensweep/core/error.h"

namespace gensweep {
namespace {

std::filesystem::path temp_dir() {
  auto dir =
      std::filesystem::temp_directory_path() /
      ("gensweep-files-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
       "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(ReadFile, ReturnsEveryByte) {
  const auto dir = temp_dir();
  const std::string bytes("a\0b\r\nc", 6);
  std::ofstream(dir / "f.bin", std::ios::binary) << bytes;
  EXPECT_EQ(read_file(dir / "f.bin"), bytes);
  std::ofstream(dir / "empty", std::ios::binary);
  EXPECT_EQ(read_file(dir / "empty"), "");
  std::filesystem::remove_all(dir);
}

TEST(ReadFile, MissingFileAndDirectoryNameThePathAndWhatItIs) {
  const auto dir = temp_dir();
  try {
    read_file(dir / "missing.toml", "job file");
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("missing.toml"), std::string::npos) << m;
    EXPECT_NE(m.find("(job file)"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  }
  try {
    read_file(dir);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gensweep
