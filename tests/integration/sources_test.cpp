// The ways in beside folders (zip, tar, npz, hdf5) through `gensweep run`: the same images give
// bitwise the same features whatever holds them, with the ADM sample batch that guided-diffusion's
// own code wrote (golden, pixels by PIL) against the same PNGs in a folder; and hostile archives
// (truncated, bombs, corrupt members, wrong arrays) end as failed images or as a clear error
// naming the file and the member, never as a crash, and never cost work already done.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "gensweep/store/feature_store.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kImages = 64;  // adm_samples_first64.npz: images 0000..0063
constexpr const char* kAdmBatch = "golden/formats/adm_samples_first64.npz";

struct Member {
  std::string name;
  std::string bytes;
};

// A zip (stored or deflated) or an uncompressed ustar tar, written with libarchive.
void write_archive(const fs::path& path, const std::vector<Member>& members, bool zip,
                   bool deflate = false) {
  archive* a = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(a);
    archive_write_set_options(a, deflate ? "zip:compression=deflate" : "zip:compression=store");
  } else {
    archive_write_set_format_pax_restricted(a);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(m.bytes.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    ASSERT_EQ(archive_write_data(a, m.bytes.data(), m.bytes.size()),
              static_cast<la_ssize_t>(m.bytes.size()));
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

std::string cifar_png(int i) {
  return read_text(source_dir() / "data" / "cifar10-846" / fmt::format("{:04d}.png", i));
}

void python(const std::string& script) {
  const fs::path file = fs::temp_directory_path() / fmt::format("gensweep-src-{}.py", ::getpid());
  write_text(file, script);
  ASSERT_EQ(std::system(("/usr/bin/python3 " + file.string()).c_str()), 0) << script;
  fs::remove(file);
}

class Sources : public ::testing::Test {
 protected:
  void SetUp() override { copy_cifar_images(dir_ / "png", 0, kImages); }

  // A job with the folder "png" as reference and `datasets` (TOML) as evaluated sets.
  void write_job(const std::string& name, const std::string& datasets,
                 const std::vector<std::string>& evaluated, const std::string& compute = "",
                 const std::string& backbones = kCheapBackbones) {
    std::string list;
    for (const auto& e : evaluated)
      list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", e);
    write_text(dir_ / name, fmt::format(R"([job]
name = "sources"
output = "out"

[compute]
batch_size = 16
threads = 2
{}

[[datasets]]
id = "folder"
source = "folder"
path = "png"
{}
{}
[[comparisons]]
reference = "folder"
evaluated = [{}]
metrics = ["fd"]
)",
                                        compute, datasets, backbones, list));
  }

  fs::path store(const std::string& dataset, const std::string& backbone) const {
    return dir_ / "out" / "stores" / dataset / (backbone + ".h5");
  }

  // Same features, bit for bit, and every row valid.
  void expect_same_features(const std::string& dataset, const std::string& backbone) {
    SCOPED_TRACE(dataset + "/" + backbone);
    const auto a = read_store_features(store("folder", backbone));
    const auto b = read_store_features(store(dataset, backbone));
    ASSERT_EQ(a.rows, kImages);
    ASSERT_EQ(b.rows, a.rows);
    ASSERT_EQ(b.cols, a.cols);
    EXPECT_EQ(0, std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)));
    const auto valid = store::FeatureStore::open_read(store(dataset, backbone)).read_valid();
    EXPECT_EQ(std::count(valid.begin(), valid.end(), 1), kImages);
  }

  static constexpr const char* kCheapBackbones = R"(
[[backbones]]
id = "pix"
kind = "pixels"
size = 32

[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 32
width = 4
input_size = 32
seed = 3
)";

  TempDir dir_{"gensweep-sources"};
};

TEST_F(Sources, EveryContainerGivesTheFolderFeaturesBitForBit) {
  GENSWEEP_REQUIRE_SHARED(kAdmBatch);
  // dataset_tool.py's layout: 00000/img00000000.png ...; dataset.json labels a few of them.
  std::vector<Member> members;
  for (int i = 0; i < kImages; ++i)
    members.push_back({fmt::format("00000/img{:08d}.png", i), cifar_png(i)});
  members.push_back({"dataset.json", R"({"labels": [["00000/img00000000.png", 6]]})"});
  members.push_back({"00000/.hidden.png", "not read"});
  members.push_back({"README.txt", "not an image"});
  write_archive(dir_ / "stored.zip", members, true, false);
  write_archive(dir_ / "deflated.zip", members, true, true);
  // Two WebDataset shards, samples of a png and a cls each.
  for (int shard = 0; shard < 2; ++shard) {
    std::vector<Member> samples;
    for (int i = shard * 40; i < std::min(kImages, shard * 40 + 40); ++i) {
      samples.push_back({fmt::format("s/{:06d}.cls", i), std::to_string(i % 10)});
      samples.push_back({fmt::format("s/{:06d}.png", i), cifar_png(i)});
    }
    write_archive(dir_ / fmt::format("w-{:06d}.tar", shard), samples, false);
  }
  // The golden batch's pixels (decoded by PIL) as HDF5 arrays in both layouts.
  python(fmt::format(R"(
import numpy as np, h5py
x = np.load('{}')['arr_0']
with h5py.File('{}', 'w') as f:
    f.create_dataset('/nhwc', data=x)
    f.create_dataset('/g/nchw', data=np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
)",
                     (shared_dir() / kAdmBatch).string(), (dir_ / "images.h5").string()));
  write_job("job.toml",
            fmt::format(R"(
[[datasets]]
id = "npz"
source = "npz"
files = ["{}"]

[[datasets]]
id = "stored-zip"
source = "zip"
path = "stored.zip"

[[datasets]]
id = "deflated-zip"
source = "zip"
path = "deflated.zip"

[[datasets]]
id = "tar"
source = "tar"
shards = ["w-{{000000..000001}}.tar"]

[[datasets]]
id = "nhwc"
source = "hdf5"
file = "images.h5"
dataset = "/nhwc"
layout = "NHWC"

[[datasets]]
id = "nchw"
source = "hdf5"
file = "images.h5"
dataset = "/g/nchw"
layout = "NCHW"
)",
                        (shared_dir() / kAdmBatch).string()),
            {"npz", "stored-zip", "deflated-zip", "tar", "nhwc", "nchw"});
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* dataset : {"npz", "stored-zip", "deflated-zip", "tar", "nhwc", "nchw"})
    for (const char* backbone : {"pix", "cnn"})
      expect_same_features(dataset, backbone);
  // Ids: member paths for zips, {shard}/{key} for tars, {file}:{index} for npz batches.
  auto ids = [&](const std::string& d) {
    return store::FeatureStore::open_read(store(d, "pix")).read_ids();
  };
  EXPECT_EQ(ids("stored-zip")[0], "00000/img00000000.png");
  EXPECT_EQ(ids("stored-zip")[63], "00000/img00000063.png");
  EXPECT_EQ(ids("tar")[0], "w-000000.tar/s/000000");
  EXPECT_EQ(ids("tar")[40], "w-000001.tar/s/000040");
  EXPECT_EQ(ids("npz")[5], "adm_samples_first64.npz:5");
  EXPECT_EQ(ids("nchw")[7], "7");
}

// The key golden through the backbone users run: pytorch-fid's Inception at its 192-d layer.
TEST_F(Sources, AdmBatchGivesTheFolderFidInceptionFeaturesBitForBit) {
  GENSWEEP_REQUIRE_SHARED(kAdmBatch);
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  write_job("job.toml",
            fmt::format("\n[[datasets]]\nid = \"npz\"\nsource = \"npz\"\nfiles = [\"{}\"]\n",
                        (shared_dir() / kAdmBatch).string()),
            {"npz"}, "",
            fmt::format("\n[[backbones]]\nid = \"incep\"\nkind = \"fid-inception\"\nweights = "
                        "\"{}\"\nlayer = \"192\"\n",
                        (shared_dir() / "weights" / "surrogate-fid-inception.pth").string()));
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_features("npz", "incep");
}

std::vector<Member> cifar_members(int count) {
  std::vector<Member> members;
  for (int i = 0; i < count; ++i)
    members.push_back({fmt::format("{:04d}.png", i), cifar_png(i)});
  return members;
}

std::vector<store::Failure> failures_of(const fs::path& store_path) {
  return store::FeatureStore::open_read(store_path).read_failures();
}

// A zip cut short has no central directory: the run stops before any work with a message naming
// the archive, and the stores an earlier run completed are still there, unchanged.
TEST_F(Sources, TruncatedZipIsAnErrorNamingTheArchiveAndLosesNothing) {
  write_archive(dir_ / "good.zip", cifar_members(8), true);
  write_job("job.toml", "\n[[datasets]]\nid = \"good\"\nsource = \"zip\"\npath = \"good.zip\"\n",
            {"good"});
  ASSERT_EQ(run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path()).exit_code, 0);
  const auto before = read_store_features(store("good", "cnn"));

  const std::string bytes = read_text(dir_ / "good.zip");
  write_text(dir_ / "cut.zip", bytes.substr(0, bytes.size() * 2 / 3));
  write_job("job2.toml",
            "\n[[datasets]]\nid = \"good\"\nsource = \"zip\"\npath = \"good.zip\"\n"
            "\n[[datasets]]\nid = \"cut\"\nsource = \"zip\"\npath = \"cut.zip\"\n",
            {"good", "cut"});
  auto r = run_gensweep({"run", "job2.toml", "--quiet"}, 0, dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(fmt::format("zip archive '{}': truncated or damaged zip archive: no "
                                   "end-of-central-directory record",
                                   (dir_ / "cut.zip").string())),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(store::FeatureStore::open_read(store("good", "cnn")).is_complete());
  const auto after = read_store_features(store("good", "cnn"));
  EXPECT_EQ(0, std::memcmp(before.values.data(), after.values.data(),
                           before.values.size() * sizeof(float)));
}

// A shard cut inside its last image: the samples before it are extracted, the cut sample and the
// cut itself are failed images naming the shard, within compute.max_failed_images.
TEST_F(Sources, TruncatedTarKeepsWhatPrecedesTheCut) {
  std::vector<Member> samples;
  for (int i = 0; i < 6; ++i)
    samples.push_back({fmt::format("{:06d}.png", i), cifar_png(i)});
  write_archive(dir_ / "full.tar", samples, false);
  const std::string bytes = read_text(dir_ / "full.tar");
  // End-of-archive blocks (1024+ bytes) and half of the last image's data go.
  const std::size_t last_png = bytes.rfind("\x89PNG");
  ASSERT_NE(last_png, std::string::npos);
  write_text(dir_ / "cut.tar", bytes.substr(0, last_png + samples.back().bytes.size() / 2));
  write_job("job.toml", "\n[[datasets]]\nid = \"cut\"\nsource = \"tar\"\nshards = [\"cut.tar\"]\n",
            {"cut"}, "max_failed_images = 2");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = store::FeatureStore::open_read(store("cut", "pix"));
  const auto valid = st.read_valid();
  EXPECT_EQ(std::count(valid.begin(), valid.end(), 1), 5);
  const auto failures = st.read_failures();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_NE(failures[0].reason.find("cut.tar/000005: tar shard '" + (dir_ / "cut.tar").string() +
                                    "': truncated: field 'png' needs bytes"),
            std::string::npos)
      << failures[0].reason;
  EXPECT_NE(
      failures[1].reason.find("cut.tar/<truncated>: tar shard '" + (dir_ / "cut.tar").string() +
                              "' is truncated after member '000005.png'"),
      std::string::npos)
      << failures[1].reason;
}

// zlib's CRC-32 of `bytes`: what the archive writer records for a member.
std::uint32_t zlib_crc32(const std::string& bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// Bombs: a member declaring more than the limit is refused before inflating; one that declares
// little and inflates to much is stopped at its declared size. Both are failed images; the other
// images are extracted.
TEST_F(Sources, ZipBombsAreFailedImagesNotMemory) {
  std::vector<Member> members = cifar_members(4);
  members.push_back({"bomb/ratio.png", std::string(64 << 20, '\0')});  // 64 MiB of zeros
  members.push_back({"bomb/liar.png", std::string(8 << 20, '\0')});
  write_archive(dir_ / "bombs.zip", members, true, true);
  // Make the liar declare 1000 bytes in the central directory (what readers trust).
  std::string bytes = read_text(dir_ / "bombs.zip");
  const std::string name = "bomb/liar.png";
  std::size_t central = std::string::npos;
  for (std::size_t at = bytes.find("PK\x01\x02"); at != std::string::npos;
       at = bytes.find("PK\x01\x02", at + 4))
    if (bytes.compare(at + 46, name.size(), name) == 0) central = at;
  ASSERT_NE(central, std::string::npos);
  const char declared[4] = {static_cast<char>(1000 & 0xff), static_cast<char>(1000 >> 8), 0, 0};
  bytes.replace(central + 24, 4, declared, 4);
  write_text(dir_ / "bombs.zip", bytes);
  ASSERT_LT(bytes.size(), 1u << 20);  // what a bomb is: tiny on disk

  // 4096 pixels allowed: 8 * 4096 + 1 MiB bytes per member.
  write_job("job.toml", "\n[[datasets]]\nid = \"bombs\"\nsource = \"zip\"\npath = \"bombs.zip\"\n",
            {"bombs"}, "max_failed_images = 2\nmax_image_pixels = 4096");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto failures = failures_of(store("bombs", "pix"));
  ASSERT_EQ(failures.size(), 2u);
  const std::int64_t limit = 8 * 4096 + (1 << 20);
  EXPECT_EQ(
      failures[0].reason,
      fmt::format("bomb/liar.png: zip member's 1000 declared bytes fail its CRC-32 check "
                  "(stored {:08x}, computed {:08x}): it inflates to other bytes than it "
                  "declares (a zip bomb or a damaged archive); stopped there",
                  zlib_crc32(std::string(8 << 20, '\0')), zlib_crc32(std::string(1000, '\0'))))
      << failures[0].reason;
  EXPECT_EQ(failures[1].reason,
            fmt::format("bomb/ratio.png: zip member declares {} bytes, more than the {} bytes "
                        "allowed per image (8 bytes per pixel of compute.max_image_pixels); not "
                        "inflated",
                        64 << 20, limit));
}

TEST_F(Sources, CorruptMemberIsAFailedImageAndTheRunGoesOn) {
  std::vector<Member> members = cifar_members(6);
  members[3].bytes = members[3].bytes.substr(0, members[3].bytes.size() / 2);
  write_archive(dir_ / "one-bad.zip", members, true, true);
  write_job("job.toml", "\n[[datasets]]\nid = \"z\"\nsource = \"zip\"\npath = \"one-bad.zip\"\n",
            {"z"}, "max_failed_images = 1");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto failures = failures_of(store("z", "pix"));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].row, 3);
  EXPECT_TRUE(failures[0].reason.starts_with("0003.png: truncated PNG")) << failures[0].reason;
  // With none allowed, the job fails saying so, and keeps its store.
  write_job("strict.toml", "\n[[datasets]]\nid = \"z\"\nsource = \"zip\"\npath = \"one-bad.zip\"\n",
            {"z"}, "max_failed_images = 0");
  auto strict = run_gensweep({"run", "strict.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(strict.exit_code, 4) << strict.err;
  EXPECT_NE(strict.err.find("0003.png"), std::string::npos) << strict.err;
}

// Sample batches gensweep cannot stream are refused, saying what was found and what to do.
TEST_F(Sources, NpzBatchesThatCannotBeStreamedAreRefusedSayingWhy) {
  python(fmt::format(R"(
import numpy as np
rng = np.random.default_rng(0)
x = rng.integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
np.savez('{0}/f32.npz', x.astype(np.float32))
np.savez('{0}/nchw.npz', np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
np.savez_compressed('{0}/deflated.npz', x)
np.savez('{0}/stats.npz', mu=np.zeros(3), sigma=np.eye(3))
)",
                     dir_.path().string()));
  const std::map<std::string, std::string> expected = {
      {"f32", "member arr_0.npy: has dtype '<f4', shape (4, 8, 8, 3); expected uint8 ('|u1')"},
      {"nchw",
       "member arr_0.npy: has shape (4, 3, 8, 8), which looks like NCHW (N, 3, H, W); expected "
       "NHWC (N, H, W, 3): re-save x.transpose(0, 2, 3, 1)"},
      {"deflated",
       "member arr_0.npy: is compressed (np.savez_compressed); images are read at their offsets "
       "in a stored member: re-save it with np.savez"},
      {"stats", "holds FD statistics (mu, sigma), not a sample batch (arr_0)"}};
  for (const auto& [name, message] : expected) {
    SCOPED_TRACE(name);
    write_job(
        "job.toml",
        fmt::format("\n[[datasets]]\nid = \"n\"\nsource = \"npz\"\nfiles = [\"{}.npz\"]\n", name),
        {"n"});
    auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find((dir_ / (name + ".npz")).string() + ": " + message), std::string::npos)
        << r.err;
  }
}

TEST_F(Sources, Hdf5ImagesOfAnotherTypeAreRefusedNamingDatasetAndType) {
  python(fmt::format(R"(
import numpy as np, h5py
with h5py.File('{}', 'w') as f:
    f.create_dataset('/images', data=np.zeros((4, 8, 8, 3), dtype=np.float32))
    f.create_dataset('/chunked', data=np.zeros((4, 8, 8, 3), dtype=np.uint8), compression='gzip')
)",
                     (dir_ / "x.h5").string()));
  auto run_with = [&](const std::string& dataset) {
    write_job("job.toml",
              fmt::format("\n[[datasets]]\nid = \"h\"\nsource = \"hdf5\"\nfile = \"x.h5\"\n"
                          "dataset = \"{}\"\nlayout = \"NHWC\"\n",
                          dataset),
              {"h"});
    return run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  };
  auto r = run_with("/images");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(fmt::format("HDF5 images '{}:/images': dataset '/images' has type float32 "
                                   "[4 x 8 x 8 x 3]; expected uint8 pixels",
                                   (dir_ / "x.h5").string())),
            std::string::npos)
      << r.err;
  r = run_with("/chunked");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("dataset '/chunked' is chunked (compressed or resizable)"),
            std::string::npos)
      << r.err;
}

// Another image inside the archive under the same name: the fingerprint changes, so the stores
// made from the old archive are stale (exit 5 naming the attribute), never silently reused.
TEST_F(Sources, ChangingAnArchiveMakesItsStoresStale) {
  write_archive(dir_ / "a.zip", cifar_members(5), true);
  write_job("job.toml", "\n[[datasets]]\nid = \"a\"\nsource = \"zip\"\npath = \"a.zip\"\n", {"a"});
  ASSERT_EQ(run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path()).exit_code, 0);
  auto again = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;  // unchanged: nothing stale
  auto members = cifar_members(5);
  members[2].bytes = cifar_png(700);
  write_archive(dir_ / "a.zip", members, true);
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("dataset_fingerprint"), std::string::npos) << r.err;
}

// `gensweep compare` infers the source from the path: every container of the same images gives
// the FD of the folder against a copy of itself, bit for bit.
TEST_F(Sources, CompareTakesArchivesByTheirPaths) {
  GENSWEEP_REQUIRE_SHARED(kAdmBatch);
  copy_cifar_images(dir_ / "copy", 0, kImages);
  std::vector<Member> members;
  for (int i = 0; i < kImages; ++i)
    members.push_back({fmt::format("{:04d}.png", i), cifar_png(i)});
  write_archive(dir_ / "images.zip", members, true, true);
  write_archive(dir_ / "w-000000.tar", {members.begin(), members.begin() + 30}, false);
  write_archive(dir_ / "w-000001.tar", {members.begin() + 30, members.end()}, false);
  python(fmt::format(R"(
import numpy as np, h5py
x = np.load('{0}')['arr_0']
with h5py.File('{1}/images.h5', 'w') as f:
    f.create_dataset('/images', data=x)
)",
                     (shared_dir() / kAdmBatch).string(), dir_.path().string()));
  auto fd_against_folder = [&](const std::string& eval) {
    auto r =
        run_gensweep({"compare", "png", eval, "--backbone", "random-cnn-512", "--json", "--quiet"},
                     0, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << eval << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? -1.0 : j["metrics"]["fd"].get<double>();
  };
  const double expected = fd_against_folder("copy");
  for (const std::string& eval :
       std::vector<std::string>{"images.zip", "w-{000000..000001}.tar",
                                (shared_dir() / kAdmBatch).string(), "images.h5:/images"})
    EXPECT_EQ(fd_against_folder(eval), expected) << eval;
}

}  // namespace
}  // namespace gensweep::testing
