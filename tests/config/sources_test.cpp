// The archive sources: zip, tar (WebDataset shards), npz (ADM sample batches) and hdf5. What each
// parses to, every wrong key, type and value with its exact message, the canonical form, and the
// source a command-line path names.
#include <gtest/gtest.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"

namespace gensweep::config::testing {
namespace {

using ::gensweep::testing::write_text;

class SourcesTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    for (const char* f : {"d.zip", "b.npz", "c.npz", "x.h5", "shards/w-000009.tar",
                          "shards/w-000010.tar", "shards/w-000011.tar", "shards/other.tar"}) {
      fs::create_directories((root() / f).parent_path());
      write_text(root() / f, "stand-in");
    }
  }
  // kMinimalJob with one more dataset "n" (its table starts on line 23, its keys on line 24).
  std::string with_dataset(std::string_view keys) {
    return minimal_plus("[[datasets]]\n" + std::string(keys));
  }
  const DatasetSource& source_of(const Job& job) { return find_dataset(job, "n").source; }
};

TEST_F(SourcesTest, ZipParses) {
  const Job job = load(with_dataset("id = \"n\"\nsource = \"zip\"\npath = \"d.zip\"\nlimit = 5\n"));
  const auto& zip = std::get<ZipSource>(source_of(job));
  EXPECT_EQ(zip.path, root() / "d.zip");
  EXPECT_EQ(zip.offset, 0);
  EXPECT_EQ(zip.limit, 5);
  EXPECT_TRUE(find_dataset(job, "n").has_images());
}

TEST_F(SourcesTest, TarExpandsBraceRangesNumericallyKeepingTheWidthAndGlobsSorted) {
  const Job job = load(
      with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [\"shards/w-{000009..000011}.tar\", "
                   "\"shards/o*.tar\"]\nfield = \"jpg\"\noffset = 2\n"));
  const auto& tar = std::get<TarSource>(source_of(job));
  const std::vector<fs::path> expected = {
      root() / "shards/w-000009.tar", root() / "shards/w-000010.tar",
      root() / "shards/w-000011.tar", root() / "shards/other.tar"};
  EXPECT_EQ(tar.shards, expected);
  EXPECT_EQ(tar.field, "jpg");
  EXPECT_EQ(tar.offset, 2);
  // A glob over several shards comes out in byte order.
  const Job globbed =
      load(with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [\"shards/w-*.tar\"]\n"));
  EXPECT_EQ(std::get<TarSource>(source_of(globbed)).shards,
            std::vector<fs::path>(expected.begin(), expected.begin() + 3));
}

TEST_F(SourcesTest, NpzAndHdf5Parse) {
  const Job npz =
      load(with_dataset("id = \"n\"\nsource = \"npz\"\nfiles = [\"c.npz\", \"b.npz\"]\n"));
  EXPECT_EQ(std::get<NpzSource>(source_of(npz)).files,
            (std::vector<fs::path>{root() / "c.npz", root() / "b.npz"}));  // order as listed
  const Job h5 = load(with_dataset(
      "id = \"n\"\nsource = \"hdf5\"\nfile = \"x.h5\"\ndataset = \"/g/images\"\nlayout = "
      "\"NCHW\"\n"));
  const auto& h = std::get<Hdf5ImagesSource>(source_of(h5));
  EXPECT_EQ(h.file, root() / "x.h5");
  EXPECT_EQ(h.dataset, "/g/images");
  EXPECT_EQ(h.layout, PixelLayout::kNchw);
}

TEST_F(SourcesTest, ZipErrors) {
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\n")),
            at(23, 1, "datasets[2]: missing required key \"path\""));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\npath = \"gone.zip\"\n")),
            at(26, 8, fmt::format("datasets[2].path: \"{}\" does not exist", abs("gone.zip"))));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\npath = \"data/a\"\n")),
            at(26, 8, fmt::format("datasets[2].path: \"{}\" is not a file", abs("data/a"))));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\npath = 3\n")),
            at(26, 8, "datasets[2].path: expected a string, got integer"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\npath = \"d.zip\"\nfiles = []\n")),
            at(27, 1,
               "datasets[2].files: unknown key for source \"zip\" (known keys: id, source, path, "
               "offset, limit)"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"zip\"\npath = \"d.zip\"\nlimit = 0\n")),
            at(27, 9, "datasets[2].limit: expected an integer >= 1, got 0"));
}

TEST_F(SourcesTest, TarErrors) {
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"tar\"\n")),
            at(23, 1, "datasets[2]: missing required key \"shards\""));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"tar\"\nshards = \"a.tar\"\n")),
            at(26, 10, "datasets[2].shards: expected an array of file names, got string"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"tar\"\nshards = []\n")),
            at(26, 10, "datasets[2].shards: expected at least one file name, got an empty array"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [1]\n")),
            at(26, 11, "datasets[2].shards[0]: expected a string, got integer"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [\"shards/z*.tar\"]\n")),
            at(26, 11,
               fmt::format("datasets[2].shards[0]: no file matches \"{}\"", abs("shards/z*.tar"))));
  // A brace range naming a shard that is not there: the missing shard is named.
  EXPECT_EQ(
      error_of(with_dataset(
          "id = \"n\"\nsource = \"tar\"\nshards = [\"shards/w-{000010..000012}.tar\"]\n")),
      at(26, 11,
         fmt::format("datasets[2].shards[0]: \"{}\" does not exist", abs("shards/w-000012.tar"))));
  EXPECT_EQ(
      error_of(with_dataset(
          "id = \"n\"\nsource = \"tar\"\nshards = [\"shards/other.tar\"]\nfield = \"PNG\"\n")),
      at(27, 9,
         "datasets[2].field: expected a lower-case WebDataset field name such as \"png\" "
         "or \"jpg\", got \"PNG\""));
}

TEST_F(SourcesTest, NpzErrors) {
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"npz\"\npath = \"b.npz\"\n")),
            at(26, 1,
               "datasets[2].path: unknown key for source \"npz\" (known keys: id, source, files, "
               "offset, limit)"));
  EXPECT_EQ(error_of(with_dataset("id = \"n\"\nsource = \"npz\"\nfiles = [\"d.zip\"]\n")),
            at(26, 10,
               fmt::format("datasets[2].files[0]: expected an .npz sample batch, got \"{}\"",
                           abs("d.zip"))));
  EXPECT_EQ(
      error_of(with_dataset("id = \"n\"\nsource = \"npz\"\nfiles = [\"b.npz\", \"z.npz\"]\n")),
      at(26, 19, fmt::format("datasets[2].files[1]: \"{}\" does not exist", abs("z.npz"))));
}

TEST_F(SourcesTest, Hdf5Errors) {
  const std::string head = "id = \"n\"\nsource = \"hdf5\"\nfile = \"x.h5\"\n";
  EXPECT_EQ(error_of(with_dataset(head + "dataset = \"/images\"\n")),
            at(23, 1, "datasets[2]: missing required key \"layout\""));
  EXPECT_EQ(error_of(with_dataset(head + "layout = \"NHWC\"\n")),
            at(23, 1, "datasets[2]: missing required key \"dataset\""));
  EXPECT_EQ(error_of(with_dataset(head + "dataset = \"images\"\nlayout = \"NHWC\"\n")),
            at(27, 11,
               "datasets[2].dataset: expected an absolute HDF5 dataset path such as "
               "\"/images\", got \"images\""));
  EXPECT_EQ(error_of(with_dataset(head + "dataset = \"/images\"\nlayout = \"NWHC\"\n")),
            at(28, 10, "datasets[2].layout: unknown layout \"NWHC\" (did you mean \"NHWC\"?)"));
  EXPECT_EQ(
      error_of(with_dataset(head + "dataset = \"/images\"\nlayout = \"NHWC\"\nshards = []\n")),
      at(29, 1,
         "datasets[2].shards: unknown key for source \"hdf5\" (known keys: id, source, "
         "file, dataset, layout, offset, limit)"));
}

TEST_F(SourcesTest, CanonicalFormListsExpandedShardsAndReadsBack) {
  const Job job = load(
      with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [\"shards/w-{000009..000010}.tar\"]\n"));
  const std::string text = canonical_form(job);
  EXPECT_NE(text.find(fmt::format("shards = [\"{}\", \"{}\"]\noffset = 0\n",
                                  abs("shards/w-000009.tar"), abs("shards/w-000010.tar"))),
            std::string::npos)
      << text;
  write_text(root() / "again.toml", text);
  EXPECT_EQ(config_hash(load_job(root() / "again.toml", options_)), config_hash(job));
  // Another shard list is another job.
  const Job other = load(
      with_dataset("id = \"n\"\nsource = \"tar\"\nshards = [\"shards/w-{000009..000011}.tar\"]\n"));
  EXPECT_NE(config_hash(other), config_hash(job));
  const Job h5 = load(with_dataset(
      "id = \"n\"\nsource = \"hdf5\"\nfile = \"x.h5\"\ndataset = \"/i\"\nlayout = \"NCHW\"\n"));
  EXPECT_NE(canonical_form(h5).find("dataset = \"/i\"\nlayout = \"NCHW\"\noffset = 0\n"),
            std::string::npos);
}

TEST_F(SourcesTest, SourceForACommandLinePath) {
  EXPECT_EQ(std::get<ZipSource>(dataset_source_for_path("d.zip", root())).path, root() / "d.zip");
  EXPECT_EQ(std::get<NpzSource>(dataset_source_for_path("b.npz", root())).files,
            std::vector<fs::path>{root() / "b.npz"});
  EXPECT_EQ(
      std::get<TarSource>(dataset_source_for_path("shards/w-{000010..000011}.tar", root())).shards,
      (std::vector<fs::path>{root() / "shards/w-000010.tar", root() / "shards/w-000011.tar"}));
  const auto h = std::get<Hdf5ImagesSource>(dataset_source_for_path("x.h5:/images", root()));
  EXPECT_EQ(h.file, root() / "x.h5");
  EXPECT_EQ(h.dataset, "/images");
  EXPECT_EQ(h.layout, PixelLayout::kNhwc);
  EXPECT_EQ(std::get<FolderSource>(dataset_source_for_path("data/a", root())).path,
            root() / "data/a");
  auto usage_error = [&](const std::string& path) -> std::string {
    try {
      dataset_source_for_path(path, root());
    } catch (const UsageError& e) {
      return e.what();
    }
    return "no UsageError";
  };
  EXPECT_EQ(usage_error("x.h5"),
            "'x.h5': name the image dataset inside the HDF5 file, as 'x.h5:/images' (uint8 NHWC)");
  EXPECT_EQ(usage_error("notes.txt"),
            "'notes.txt' is not an image folder, .zip, .tar (or brace pattern of them), .npz "
            "sample batch or 'file.h5:/dataset'");
}

TEST(ShardPatterns, BraceRangesKeepTheirWidthAndCountDown) {
  EXPECT_EQ(expand_shard_pattern("a-{8..11}.tar", true),
            (std::vector<fs::path>{"a-8.tar", "a-9.tar", "a-10.tar", "a-11.tar"}));
  EXPECT_EQ(expand_shard_pattern("a-{0998..1000}.tar", true),
            (std::vector<fs::path>{"a-0998.tar", "a-0999.tar", "a-1000.tar"}));
  EXPECT_EQ(expand_shard_pattern("a-{2..1}-{0..1}.tar", true),
            (std::vector<fs::path>{"a-2-0.tar", "a-2-1.tar", "a-1-0.tar", "a-1-1.tar"}));
  EXPECT_EQ(expand_shard_pattern("a-{x..y}.tar", true), (std::vector<fs::path>{"a-{x..y}.tar"}));
}

}  // namespace
}  // namespace gensweep::config::testing
