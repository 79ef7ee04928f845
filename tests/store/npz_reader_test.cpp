// The .npz / .npy reader against files numpy itself wrote (shared/golden/formats: pytorch-fid's
// deflated statistics, guided-diffusion's stored sample batch, clean-fid's float32 mean, dgm-eval's
// pickled member) and against hand-made files for the cases no golden has: Fortran order,
// big-endian data, zip bombs, truncation.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <span>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/store/npz_reader.h"
#include "test_util.h"

namespace gensweep::store {
namespace {

using testing::shared_dir;
using testing::TempDir;

std::filesystem::path formats(const std::string& name) {
  return shared_dir() / "golden/formats" / name;
}

// sha256 of an array's raw data (what expected.json records as sha256_of_array_bytes).
std::string array_sha256(const std::vector<std::uint8_t>& npy, const NpyArrayHeader& h) {
  return sha256_hex(std::span<const std::uint8_t>(npy).subspan(h.data_offset));
}

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A .npy made by hand: header dict text padded as numpy pads it, then `data`.
std::vector<std::uint8_t> make_npy(const std::string& dict, const void* data, std::size_t bytes) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(static_cast<std::uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<std::uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
  return out;
}

// A ZIP holding the given members, deflated or stored, written with libarchive.
void write_zip(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& members,
               bool deflate) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, deflate ? "zip:compression=deflate" : "zip:compression=store");
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, bytes] : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(a, bytes.data(), bytes.size()),
              static_cast<la_ssize_t>(bytes.size()));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST(NpzReader, ReadsPytorchFidDeflatedStatisticsToTheGoldenArrays) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/pytorch_fid_stats_first423_dims192.npz");
  const NpzFile npz(formats("pytorch_fid_stats_first423_dims192.npz"));
  ASSERT_EQ(npz.members().size(), 2u);
  EXPECT_EQ(npz.members()[0].key, "mu");
  EXPECT_EQ(npz.members()[1].key, "sigma");
  EXPECT_FALSE(npz.members()[0].stored);  // pytorch-fid deflates (np.savez_compressed)
  EXPECT_EQ(npz.members()[1].size, 295040u);

  const auto mu_bytes = npz.read("mu");
  const NpyArrayHeader mu = parse_npy_header(mu_bytes, "mu");
  EXPECT_EQ(mu.descr, "<f8");
  EXPECT_EQ(mu.shape, std::vector<std::int64_t>{192});
  EXPECT_EQ(mu.data_offset, 128);
  EXPECT_EQ(array_sha256(mu_bytes, mu),
            "e059107620d063e826d0b78616847640d79b0885104b9ba4df21d99d1bad72bd");
  const auto sigma_bytes = npz.read("sigma");
  const NpyArrayHeader sigma = npz.header("sigma");
  EXPECT_EQ(sigma.shape, (std::vector<std::int64_t>{192, 192}));
  EXPECT_EQ(array_sha256(sigma_bytes, sigma),
            "6a479b465f7e78a2fe4b4aa3cf7ff4dd4b65224a3c94462e12d95c0b5261412b");

  const Float64Array m = npz.read_float64("mu");
  ASSERT_EQ(m.values.size(), 192u);
  EXPECT_EQ(m.stored_dtype, "<f8");
  // expected.json: mu_A_first4[0].
  EXPECT_EQ(m.values[0], 0.5514376088712655);
  EXPECT_EQ(m.values[1], 0.586839930306301);
}

TEST(NpzReader, FindsTheStoredAdmBatchPixelsAtTheirFileOffset) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/adm_samples_first64.npz");
  const auto path = formats("adm_samples_first64.npz");
  const NpzFile npz(path);
  const NpzMember* images = npz.find("arr_0");
  ASSERT_NE(images, nullptr);
  ASSERT_TRUE(images->stored);
  const NpyArrayHeader h = npz.header("arr_0");
  EXPECT_EQ(h.descr, "|u1");
  EXPECT_EQ(h.shape, (std::vector<std::int64_t>{64, 32, 32, 3}));
  // FORMATS.md 1.2: "in adm_samples_first64.npz the pixels start at byte 187".
  EXPECT_EQ(images->file_offset + static_cast<std::uint64_t>(h.data_offset), 187u);
  const auto file = file_bytes(path);
  ASSERT_GE(file.size(), 187u + 64 * 32 * 32 * 3);
  EXPECT_EQ(sha256_hex(std::span<const std::uint8_t>(file).subspan(187, 64 * 32 * 32 * 3)),
            "49032c314487d54439c82427296572ceb26ce01aa3a1522ff66d1c6368cfa154");
  const NpyArrayHeader labels = npz.header("arr_1");
  EXPECT_EQ(labels.descr, "<i8");
  EXPECT_EQ(labels.shape, std::vector<std::int64_t>{64});
}

TEST(NpzReader, PromotesCleanFidFloat32MeanAndKeepsItsDtype) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/cifar10first423_legacy_pytorch_custom_na.npz");
  const NpzFile npz(formats("cifar10first423_legacy_pytorch_custom_na.npz"));
  const Float64Array mu = npz.read_float64("mu");
  EXPECT_EQ(mu.stored_dtype, "<f4");
  ASSERT_EQ(mu.values.size(), 192u);
  // Every value is a float32 widened exactly.
  for (double v : mu.values)
    EXPECT_EQ(v, static_cast<double>(static_cast<float>(v)));
  EXPECT_EQ(npz.read_float64("sigma").stored_dtype, "<f8");
}

TEST(NpzReader, NeverUnpicklesAnObjectMember) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/dgm_eval_experiments");
  const NpzFile npz(
      formats("dgm_eval_experiments/reps_adm_samples_first64_inception_nimage-64_test.npz"));
  const Float64Array reps = npz.read_float64("reps");
  EXPECT_EQ(reps.shape, (std::vector<std::int64_t>{64, 192}));
  EXPECT_THROW_WITH(npz.read_float64("hparams"), IoError, "member hparams.npy: holds pickled");
  EXPECT_THROW_WITH(npz.read_float64("mu"), IoError,
                    "has no member 'mu' (its members: 'model', 'reps', 'hparams')");
}

TEST(NpyDecode, TransposesFortranOrderAndSwapsBigEndianBytes) {
  // A = [[1, 2, 3], [4, 5, 6]] stored column by column as big-endian float32.
  const float columns[] = {1, 4, 2, 5, 3, 6};
  std::vector<std::uint8_t> data(sizeof columns);
  std::memcpy(data.data(), columns, sizeof columns);
  for (std::size_t i = 0; i < data.size(); i += 4)
    std::reverse(data.begin() + i, data.begin() + i + 4);
  const auto npy = make_npy("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
                            data.data(), data.size());
  const Float64Array a = decode_npy_float64(npy, "hand-made");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyDecode, RefusesOtherDtypesAndShortData) {
  const std::uint8_t bytes[4] = {};
  EXPECT_THROW_WITH(decode_npy_float64(make_npy("{'descr': '|u1', 'fortran_order': False, "
                                                "'shape': (4,), }",
                                                bytes, 4),
                                       "x.npy"),
                    IoError, "x.npy: has dtype '|u1'; expected float32");
  EXPECT_THROW_WITH(decode_npy_float64(make_npy("{'descr': '<f8', 'fortran_order': False, "
                                                "'shape': (2,), }",
                                                bytes, 4),
                                       "x.npy"),
                    IoError, "x.npy: truncated: shape (2,) of '<f8' needs 16 bytes of data, 4");
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  EXPECT_THROW_WITH(decode_npy_float64(text, "x.npy"), IoError, "x.npy: not a NumPy .npy array");
}

TEST(NpzReader, StopsAZipBombAtTheLimitBeforeInflatingIt) {
  TempDir dir;
  // 64 MiB of zeros deflates to about 64 KiB.
  std::vector<std::uint8_t> zeros(std::size_t{64} << 20, 0);
  write_zip(dir / "bomb.npz", {{"mu.npy", zeros}}, true);
  ASSERT_LT(std::filesystem::file_size(dir / "bomb.npz"), std::uintmax_t{1} << 20);
  const NpzFile npz(dir / "bomb.npz");
  EXPECT_THROW_WITH(npz.read("mu", 1 << 20), IoError,
                    "member mu.npy: declares 67108864 bytes, more than the 1048576 allowed");
}

TEST(NpzReader, NamesTheFileWhenItIsTruncatedMissingOrNotAZip) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/pytorch_fid_stats_first423_dims192.npz");
  TempDir dir;
  auto bytes = file_bytes(formats("pytorch_fid_stats_first423_dims192.npz"));
  bytes.resize(bytes.size() / 2);
  {
    std::ofstream out(dir / "half.npz", std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  const auto half = (dir / "half.npz").string();
  EXPECT_THROW_WITH(
      {
        const NpzFile npz(half);
        npz.read_float64("sigma");
      },
      IoError, half);
  EXPECT_THROW_WITH(NpzFile(dir / "absent.npz"), IoError,
                    (dir / "absent.npz").string() + ": no such file");
  testing::write_text(dir / "text.npz", "not a zip at all\n");
  EXPECT_THROW_WITH(NpzFile(dir / "text.npz"), IoError, (dir / "text.npz").string());
}

}  // namespace
}  // namespace gensweep::store
