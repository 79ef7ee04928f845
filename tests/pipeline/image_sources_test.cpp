// The archive image sources in-process: labels (dataset.json, WebDataset cls, ADM arr_1), the
// golden ADM batch's pixels, windows, and concurrent loads.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <thread>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/pipeline/image_source.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

using ::gensweep::testing::shared_dir;
using ::gensweep::testing::source_dir;
using ::gensweep::testing::TempDir;
namespace fs = std::filesystem;

void python(const std::string& script) {
  TempDir dir("gensweep-py");
  ::gensweep::testing::write_text(dir / "s.py", script);
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir / "s.py").string()).c_str()), 0) << script;
}

std::string cifar(int i) {
  return (source_dir() / "data" / "cifar10-846" / fmt::format("{:04d}.png", i)).string();
}

TEST(ImageSources, ZipLabelsFromDatasetJsonAndMinusOneForAMemberItDoesNotName) {
  TempDir dir("gensweep-zipsrc");
  python(fmt::format(R"(
import zipfile, json
with zipfile.ZipFile('{0}', 'w') as z:
    for i, src in enumerate(['{1}', '{2}', '{3}']):
        z.write(src, f'00000/img{{i:08d}}.png')
    z.writestr('dataset.json', json.dumps({{'labels': [['00000/img00000002.png', 7],
                                                        ['00000/img00000000.png', 3]]}}))
)",
                     (dir / "d.zip").string(), cifar(0), cifar(1), cifar(2)));
  const auto src = make_zip_source(dir / "d.zip", 0, -1);
  ASSERT_EQ(src->size(), 3);
  EXPECT_EQ(src->label(0), 3);
  EXPECT_EQ(src->label(1), -1);  // not in dataset.json
  EXPECT_EQ(src->label(2), 7);
  // A window keeps each image's own label and id.
  const auto window = make_zip_source(dir / "d.zip", 1, 1);
  ASSERT_EQ(window->size(), 1);
  EXPECT_EQ(window->id(0), "00000/img00000001.png");
  EXPECT_EQ(window->label(0), -1);
  EXPECT_NE(window->description().find("[images 1..1 of 3]"), std::string::npos);
}

TEST(ImageSources, TarSamplesKeysFieldsAndClsLabels) {
  TempDir dir("gensweep-tarsrc");
  python(fmt::format(R"(
import tarfile, io
def add(t, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
with tarfile.open('{0}', 'w') as t:
    add(t, 'a/x.001.cls', b'4\n')       # key a/x, field 001.cls: not the label
    add(t, 'a/x.001.png', open('{1}', 'rb').read())
    add(t, '__meta__.json', b'{{}}')  # skipped
    add(t, 'b/y.cls', b'9')
    add(t, 'b/y.JPG', open('{1}', 'rb').read())  # field lower-cased: jpg
    add(t, 'b/y.png', open('{2}', 'rb').read())
    add(t, 'c/z.txt', b'no image')
)",
                     (dir / "s.tar").string(), cifar(0), cifar(1)));
  const auto src = make_tar_source({dir / "s.tar"}, "", 0, -1);
  ASSERT_EQ(src->size(), 3);
  EXPECT_EQ(src->id(0), "s.tar/a/x");
  EXPECT_EQ(src->id(1), "s.tar/b/y");
  EXPECT_EQ(src->id(2), "s.tar/c/z");
  EXPECT_EQ(src->label(0), -1);
  EXPECT_EQ(src->label(1), 9);
  EXPECT_FALSE(src->load(0, {}).ok);  // fields 001.cls and 001.png: none is an image field
  // Sample b: png comes before jpg in the default preference, so image 0001.
  const auto b = src->load(1, {});
  ASSERT_TRUE(b.ok) << b.reason;
  const auto direct = io::decode_image(io::read_file_bytes(cifar(1)));
  EXPECT_EQ(b.image.rgb, direct.image.rgb);
  const auto c = src->load(2, {});
  EXPECT_EQ(c.reason, "sample has no image field (png, jpg, jpeg, webp); fields: txt");
  // field = "jpg" picks the other member.
  const auto jpg = make_tar_source({dir / "s.tar"}, "jpg", 1, 1);
  EXPECT_EQ(jpg->load(0, {}).image.rgb, io::decode_image(io::read_file_bytes(cifar(0))).image.rgb);
}

TEST(ImageSources, CompressedShardsAreRefusedSayingWhatToDo) {
  TempDir dir("gensweep-targz");
  python(
      fmt::format("import tarfile\nwith tarfile.open('{}', 'w:gz') as t:\n    t.add('{}', "
                  "'a/0.png')\n",
                  (dir / "s.tar.gz").string(), cifar(0)));
  try {
    make_tar_source({dir / "s.tar.gz"}, "", 0, -1);
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("tar shard '{}' is gzip-compressed: gensweep reads each image at its "
                          "offset, which needs an uncompressed tar (decompress the shard first, "
                          "e.g. gunzip)",
                          (dir / "s.tar.gz").string()));
  }
}

TEST(ImageSources, AdmBatchPixelsAndLabelsAreTheGoldens) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/adm_samples_first64.npz");
  const auto src =
      make_npz_source({shared_dir() / "golden" / "formats" / "adm_samples_first64.npz"}, 0, -1);
  ASSERT_EQ(src->size(), 64);
  // expected.json: sha256 of all of arr_0's bytes, pixel (0, 0) of image 0, per-image sums.
  Sha256 all;
  std::vector<io::DecodeOutcome> images(64);
  std::vector<std::thread> threads;  // load() is called concurrently by decode threads
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < 64; i += 4)
        images[i] = src->load(i, {});
    });
  for (auto& t : threads)
    t.join();
  for (const auto& image : images) {
    ASSERT_TRUE(image.ok) << image.reason;
    all.update(image.image.rgb.data(), image.image.rgb.size());
  }
  EXPECT_EQ(all.hex_digest(), "49032c314487d54439c82427296572ceb26ce01aa3a1522ff66d1c6368cfa154");
  EXPECT_EQ(images[0].image.rgb[0], 158);
  EXPECT_EQ(images[0].image.rgb[1], 112);
  EXPECT_EQ(images[0].image.rgb[2], 49);
  const std::int64_t sums[4] = {332962, 476499, 407252, 475573};
  for (int i = 0; i < 4; ++i) {
    std::int64_t sum = 0;
    for (auto v : images[i].image.rgb)
      sum += v;
    EXPECT_EQ(sum, sums[i]) << i;
  }
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(src->label(i), i % 10);  // arr_1 = i % 10
  // The same file listed twice is one dataset of 128 images; ids stay unique by index.
  const auto twice = make_npz_source({shared_dir() / "golden/formats/adm_samples_first64.npz",
                                      shared_dir() / "golden/formats/adm_samples_first64.npz"},
                                     60, 8);
  ASSERT_EQ(twice->size(), 8);
  EXPECT_EQ(twice->id(3), "adm_samples_first64.npz:63");
  EXPECT_EQ(twice->id(4), "adm_samples_first64.npz:0");
  // A window too far is an error naming the source.
  EXPECT_THROW(make_npz_source({shared_dir() / "golden/formats/adm_samples_first64.npz"}, 65, -1),
               IoError);
}

}  // namespace
}  // namespace gensweep::pipeline
