// The input manifest: a dataset's fingerprint without reading unchanged image files again, at 1
// and 2 ranks. Expected fingerprints are computed here from the files' bytes (sha256 of each
// file, combined as the folder fingerprint is defined), never taken from a previous run.
#include "gensweep/pipeline/input_digests.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>

#include "gensweep/core/sha256.h"
#include "gensweep/dist/comm.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

dist::Environment* g_env = nullptr;
namespace fs = std::filesystem;

// A directory every rank sees (rank 0 owns it).
class SharedDir {
 public:
  explicit SharedDir(const dist::Comm& comm) : comm_(comm) {
    std::string path;
    if (comm.is_root()) {
      dir_ = std::make_unique<testing::TempDir>("gensweep-inputs");
      path = dir_->path().string();
    }
    comm.broadcast(path);
    path_ = path;
  }
  ~SharedDir() { comm_.barrier(); }
  const fs::path& path() const { return path_; }

 private:
  const dist::Comm& comm_;
  std::unique_ptr<testing::TempDir> dir_;
  fs::path path_;
};

// Rank 0 writes; everyone waits for it.
void on_root(const dist::Comm& comm, const std::function<void()>& work) {
  if (comm.is_root()) work();
  comm.barrier();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Moves a file's modification time `seconds` into the past: old enough to be trusted.
void age(const fs::path& path, int seconds = 60) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(seconds));
}

// The folder fingerprint by its definition (image_source.h): ids in order with their sha256.
std::string expected_fingerprint(const fs::path& root, const std::vector<std::string>& ids) {
  Sha256 h;
  h.update("gensweep-folder-fingerprint/v1\n");
  for (const auto& id : ids) {
    h.update(id);
    h.update("\t");
    h.update(sha256_file_hex(root / id));
    h.update("\n");
  }
  return h.hex_digest();
}

class InputDigests : public ::testing::Test {
 protected:
  void SetUp() override {
    on_root(comm(), [&] {
      for (int i = 0; i < 7; ++i)
        write_bytes(images() / fmt::format("img{}.png", i), fmt::format("image bytes {}", i));
      write_bytes(images() / "sub" / "deep.jpg", "a jpeg in a subfolder");
      for (const auto& e : fs::recursive_directory_iterator(images()))
        if (e.is_regular_file()) age(e.path());
    });
  }
  const dist::Comm& comm() const { return g_env->world(); }
  fs::path images() const { return dir_.path() / "images"; }
  fs::path manifests() const { return dir_.path() / "cache" / "inputs"; }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (int i = 0; i < 7; ++i)
      out.push_back(fmt::format("img{}.png", i));
    out.push_back("sub/deep.jpg");
    return out;
  }
  DatasetDigest digest(InputDigestOptions options = {}) {
    if (options.manifest_dir.empty()) options.manifest_dir = manifests();
    auto source = make_folder_source(images(), 0, -1);
    return dataset_fingerprint(*source, comm(), 2, options);
  }
  fs::path manifest() const { return input_manifest_path(manifests(), images()); }

  SharedDir dir_{g_env->world()};
};

TEST_F(InputDigests, FirstRunHashesEveryFileAndRerunsHashNone) {
  const std::string expected = expected_fingerprint(images(), ids());
  const DatasetDigest first = digest();
  EXPECT_EQ(first.fingerprint, expected);
  EXPECT_EQ(first.files, 8);
  EXPECT_EQ(first.hashed, 8);
  EXPECT_TRUE(fs::exists(manifest()));
  const DatasetDigest second = digest();
  EXPECT_EQ(second.fingerprint, expected);
  EXPECT_EQ(second.hashed, 0);
  // Without a manifest the same fingerprint comes from reading every file.
  InputDigestOptions none;
  none.manifest_dir = dir_.path() / "elsewhere";
  EXPECT_EQ(digest(none).fingerprint, expected);
}

// Proof that a rerun takes the digests from the manifest and not from the files: a digest changed
// in the manifest (the stat record left as it is) changes the fingerprint accordingly.
TEST_F(InputDigests, RerunDigestsComeFromTheManifest) {
  digest();
  const std::string fake(64, 'a');
  on_root(comm(), [&] {
    std::string text = testing::read_text(manifest());
    const std::string real = sha256_file_hex(images() / "img3.png");
    ASSERT_NE(text.find(real), std::string::npos);
    const auto at = text.find(real);
    text = fmt::format("{}{}{}", text.substr(0, at), fake, text.substr(at + real.size()));
    testing::write_text(manifest(), text);
  });
  Sha256 h;
  h.update("gensweep-folder-fingerprint/v1\n");
  for (const auto& id : ids()) {
    h.update(id);
    h.update("\t");
    h.update(id == "img3.png" ? fake : sha256_file_hex(images() / id));
    h.update("\n");
  }
  const DatasetDigest rerun = digest();
  EXPECT_EQ(rerun.hashed, 0);
  EXPECT_EQ(rerun.fingerprint, h.hex_digest());
  // --verify-inputs reads every file again and repairs the manifest.
  InputDigestOptions verify;
  verify.verify = true;
  const DatasetDigest verified = digest(verify);
  EXPECT_EQ(verified.hashed, 8);
  EXPECT_EQ(verified.fingerprint, expected_fingerprint(images(), ids()));
  EXPECT_EQ(digest().fingerprint, expected_fingerprint(images(), ids()));
}

TEST_F(InputDigests, ChangedFileSameSizeAndRestoredMtimeIsHashedAgain) {
  const std::string before = digest().fingerprint;
  on_root(comm(), [&] {
    const auto path = images() / "img5.png";
    const auto mtime = fs::last_write_time(path);
    write_bytes(path, "image bytes X");  // same size as "image bytes 5"
    fs::last_write_time(path, mtime);    // as `touch -r` or a restore would leave it
  });
  const DatasetDigest after = digest();
  EXPECT_EQ(after.hashed, 1);  // its change time gives it away
  EXPECT_NE(after.fingerprint, before);
  EXPECT_EQ(after.fingerprint, expected_fingerprint(images(), ids()));
}

TEST_F(InputDigests, AddedFileIsTheOnlyOneHashedAndRemovedFileChangesTheFingerprint) {
  const std::string before = digest().fingerprint;
  on_root(comm(), [&] {
    write_bytes(images() / "img9.png", "a new image");
    age(images() / "img9.png");
  });
  auto with_new = ids();
  with_new.insert(with_new.begin() + 7, "img9.png");
  const DatasetDigest added = digest();
  EXPECT_EQ(added.hashed, 1);
  EXPECT_EQ(added.fingerprint, expected_fingerprint(images(), with_new));
  on_root(comm(), [&] { fs::remove(images() / "img2.png"); });
  auto without = with_new;
  without.erase(without.begin() + 2);
  const DatasetDigest removed = digest();
  EXPECT_EQ(removed.hashed, 0);
  EXPECT_EQ(removed.fingerprint, expected_fingerprint(images(), without));
  EXPECT_NE(removed.fingerprint, before);
}

// A file modified within kRacyWindowNs of its hashing is not trusted: it is hashed again until its
// record is old enough, so a write right after hashing cannot hide behind a coarse timestamp.
TEST_F(InputDigests, RecentlyModifiedFilesAreHashedAgain) {
  on_root(comm(), [&] {
    write_bytes(images() / "img1.png", "image bytes 1");
    // Modified "now" as far as the rule can tell for the next minute, however slow this machine.
    fs::last_write_time(images() / "img1.png",
                        fs::file_time_type::clock::now() + std::chrono::seconds(60));
  });
  EXPECT_EQ(digest().hashed, 8);
  EXPECT_EQ(digest().hashed, 1);  // img1.png is still too recent to trust
  on_root(comm(), [&] { age(images() / "img1.png"); });
  EXPECT_EQ(digest().hashed, 1);  // its stat record changed
  EXPECT_EQ(digest().hashed, 0);
}

TEST_F(InputDigests, DamagedOrForeignManifestsAreIgnoredAndReplaced) {
  const std::string expected = expected_fingerprint(images(), ids());
  digest();
  std::string good;
  on_root(comm(), [&] { good = testing::read_text(manifest()); });
  const std::vector<std::pair<std::string, std::function<std::string(std::string)>>> damages = {
      {"truncated", [](std::string t) { return t.substr(0, t.size() / 2); }},
      {"no end line", [](std::string t) { return t.substr(0, t.rfind("end\t")); }},
      {"wrong count", [](std::string t) { return t.substr(0, t.rfind("end\t")) + "end\t99\n"; }},
      {"garbage", [](std::string) { return std::string("\x01\x02not a manifest\n"); }},
      {"other folder",
       [](std::string t) {
         const auto a = t.find("root\t"), b = t.find('\n', a);
         return fmt::format("{}root\t/somewhere/else{}", t.substr(0, a), t.substr(b));
       }},
      {"bad digest",
       [](std::string t) {
         const auto tab = t.rfind('\t', t.find("\nend\t"));
         return fmt::format("{}XYZ{}", t.substr(0, tab + 1), t.substr(tab + 4));
       }},
      {"bad number",
       [](std::string t) {
         const auto line = t.find("img0.png\t");
         return fmt::format("{}x{}", t.substr(0, line + 9), t.substr(line + 10));
       }},
  };
  for (const auto& [what, damage] : damages) {
    SCOPED_TRACE(what);
    on_root(comm(), [&] { testing::write_text(manifest(), damage(good)); });
    const DatasetDigest d = digest();
    EXPECT_EQ(d.fingerprint, expected);
    EXPECT_EQ(d.hashed, 8);
    EXPECT_EQ(digest().hashed, 0);  // replaced by a good one
  }
}

TEST_F(InputDigests, StatusWritesNoManifest) {
  InputDigestOptions read_only;
  read_only.write = false;
  EXPECT_EQ(digest(read_only).fingerprint, expected_fingerprint(images(), ids()));
  comm().barrier();
  EXPECT_FALSE(fs::exists(manifest()));
}

TEST_F(InputDigests, UnreadableFileGetsItsMarkerAndIsNotRemembered) {
  auto source = make_folder_source(images(), 0, -1);  // listed while the file exists
  comm().barrier();                                   // by every rank
  on_root(comm(), [&] { fs::remove(images() / "img4.png"); });
  InputDigestOptions options;
  options.manifest_dir = manifests();
  const DatasetDigest d = dataset_fingerprint(*source, comm(), 2, options);
  Sha256 h;
  h.update("gensweep-folder-fingerprint/v1\n");
  for (const auto& id : ids()) {
    h.update(id);
    h.update("\t");
    h.update(id == "img4.png" ? std::string("unreadable") : sha256_file_hex(images() / id));
    h.update("\n");
  }
  EXPECT_EQ(d.fingerprint, h.hex_digest());
  EXPECT_EQ(d.hashed, 8);
  const DatasetDigest again = dataset_fingerprint(*source, comm(), 2, options);
  EXPECT_EQ(again.hashed, 1);  // only the missing file is tried again
}

TEST_F(InputDigests, WindowsAndDistortionsOfAFolderShareItsManifest) {
  InputDigestOptions options;
  options.manifest_dir = manifests();
  auto first_half = make_folder_source(images(), 0, 4);
  EXPECT_EQ(dataset_fingerprint(*first_half, comm(), 1, options).hashed, 4);
  auto second_half = make_folder_source(images(), 4, -1);
  EXPECT_EQ(dataset_fingerprint(*second_half, comm(), 1, options).hashed, 4);
  io::Distortion blur;
  blur.kind = io::DistortionKind::kGaussianBlur;
  blur.sigma = 1.0;
  auto blurred = make_derived_source(make_folder_source(images(), 0, -1), "all", blur);
  EXPECT_EQ(dataset_fingerprint(*blurred, comm(), 1, options).hashed, 0);
  EXPECT_EQ(input_manifest_path(manifests(), images()),
            input_manifest_path(manifests(), blurred->files_root()));
}

}  // namespace
}  // namespace gensweep::pipeline

int main(int argc, char** argv) {
  gensweep::dist::Environment env(&argc, &argv);
  gensweep::pipeline::g_env = &env;
  ::testing::InitGoogleTest(&argc, argv);
  if (env.world().rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  std::int64_t total_failed = env.world().sum(failed);
  return total_failed != 0 ? 1 : 0;
}
