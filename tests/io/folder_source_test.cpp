// Folder listing (recursion, order, extensions, hidden files, links, errors) and fingerprints.

#include "gensweep/io/folder_source.h"

#include <gtest/gtest.h>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "image_test_util.h"
#include "test_util.h"

namespace gensweep::io {
namespace {

namespace fs = std::filesystem;
using gensweep::testing::TempDir;
using gensweep::testing::write_text;

std::vector<std::string> ids(const std::vector<ImageEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.id);
  return out;
}

class FolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "sub/deeper");
    fs::create_directories(dir_ / "Upper");
    fs::create_directories(dir_ / ".cache");
    for (const char* name : {"b.png", "a.JPG", "B.png", "c.jpeg", "d.JpEg", "sub/x.png",
                             "sub/deeper/y.jpg", "Upper/z.PNG", "notes.txt", "image.png.txt",
                             "sub/.hidden.png", ".cache/cached.png", "sub/png"})
      write_text(dir_ / name, std::string("content of ") + name);
  }
  TempDir dir_;
};

TEST_F(FolderTest, ListsRecursivelyInBytewiseOrder) {
  const auto entries = list_image_folder(dir_.path());
  // Bytewise: upper case sorts before lower case, '/' (0x2f) before letters.
  EXPECT_EQ(ids(entries),
            (std::vector<std::string>{"B.png", "Upper/z.PNG", "a.JPG", "b.png", "c.jpeg", "d.JpEg",
                                      "sub/deeper/y.jpg", "sub/x.png"}));
  for (const auto& e : entries)
    EXPECT_EQ(e.path, dir_.path() / e.id);
}

TEST_F(FolderTest, FollowsLinksAndSurvivesLoops) {
  fs::create_symlink(dir_ / "b.png", dir_ / "sub/link.png");
  fs::create_directory_symlink(dir_.path(), dir_ / "sub/loop");  // points back at the root
  fs::create_symlink(dir_ / "gone.png", dir_ / "broken.png");    // dangling: skipped
  const auto listed = ids(list_image_folder(dir_.path()));
  EXPECT_NE(std::find(listed.begin(), listed.end(), "sub/link.png"), listed.end());
  EXPECT_EQ(std::find(listed.begin(), listed.end(), "broken.png"), listed.end());
  // The loop is not entered: nothing is listed twice under sub/loop/.
  for (const auto& id : listed)
    EXPECT_EQ(id.find("sub/loop/"), std::string::npos) << id;
  EXPECT_EQ(listed.size(), 9u);
}

TEST_F(FolderTest, LinkedDirectoryIsListedUnderItsLinkName) {
  TempDir other;
  write_text(other / "far.png", "far");
  fs::create_directory_symlink(other.path(), dir_ / "linked");
  const auto listed = ids(list_image_folder(dir_.path()));
  EXPECT_NE(std::find(listed.begin(), listed.end(), "linked/far.png"), listed.end());
}

TEST(FolderErrors, MissingNotADirectoryAndEmpty) {
  TempDir dir;
  EXPECT_THROW_WITH(list_image_folder(dir / "nope"), IoError,
                    "image folder '" + (dir / "nope").string() + "' does not exist");
  write_text(dir / "file.png", "x");
  EXPECT_THROW_WITH(list_image_folder(dir / "file.png"), IoError,
                    "image folder '" + (dir / "file.png").string() + "' is not a directory");
  fs::create_directories(dir / "empty/inner");
  write_text(dir / "empty/inner/readme.txt", "x");
  write_text(dir / "empty/.hidden.png", "x");
  EXPECT_THROW_WITH(
      list_image_folder(dir / "empty"), IoError,
      "image folder '" + (dir / "empty").string() + "' contains no images (*.png, *.jpg, *.jpeg)");
}

TEST(Extensions, CaseInsensitiveAndExact) {
  EXPECT_TRUE(has_image_extension("a.png"));
  EXPECT_TRUE(has_image_extension("a.PNG"));
  EXPECT_TRUE(has_image_extension("a.Jpeg"));
  EXPECT_TRUE(has_image_extension("x.y.jpg"));
  EXPECT_FALSE(has_image_extension("a.png.bak"));
  EXPECT_FALSE(has_image_extension("apng"));
  EXPECT_FALSE(has_image_extension("a.gif"));
}

TEST_F(FolderTest, FingerprintFollowsItsDefinition) {
  const auto entries = list_image_folder(dir_.path());
  // The documented definition, computed independently here.
  Sha256 expected;
  for (const auto& e : entries) {
    expected.update(e.id);
    expected.update(std::string_view("\0", 1));
    expected.update(sha256_hex(gensweep::testing::read_text(e.path)));
    expected.update("\n");
  }
  EXPECT_EQ(fingerprint_entries(entries), expected.hex_digest());
  EXPECT_EQ(fingerprint_file(entries[0].path),
            sha256_hex(gensweep::testing::read_text(entries[0].path)));
}

TEST_F(FolderTest, FingerprintSeesContentNamesAndOrder) {
  auto entries = list_image_folder(dir_.path());
  const std::string base = fingerprint_entries(entries);
  EXPECT_EQ(fingerprint_entries(list_image_folder(dir_.path())), base);  // deterministic

  auto renamed = entries;
  renamed[0].id += "x";
  EXPECT_NE(fingerprint_entries(renamed), base);

  auto swapped = entries;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(fingerprint_entries(swapped), base);

  write_text(entries[2].path, "changed");
  EXPECT_NE(fingerprint_entries(entries), base);

  // Moving bytes between id and content cannot collide: "ab"+"c" vs "a"+"bc" style.
  DatasetFingerprint one, two;
  one.add("a", "bc");
  two.add("ab", "c");
  EXPECT_NE(one.hex_digest(), two.hex_digest());
}

TEST(FingerprintErrors, NamesTheUnreadableFile) {
  TempDir dir;
  const std::vector<ImageEntry> entries = {{"gone.png", dir / "gone.png"}};
  EXPECT_THROW_WITH(fingerprint_entries(entries), IoError, (dir / "gone.png").string());
}

}  // namespace
}  // namespace gensweep::io
