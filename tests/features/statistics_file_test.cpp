// Statistics other tools wrote, read by read_statistics_file and compared with frechet_distance,
// against shared/golden/formats: pytorch-fid's own FD between its two .npz files, the same arrays
// inside EDM2-style pickles (protocols 4 and 5) and torch-fidelity's torch.save cache, and the
// pickle that must be refused.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <span>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/features/statistics_file.h"
#include "gensweep/metrics/frechet.h"
#include "test_util.h"

namespace gensweep::features {
namespace {

using testing::shared_dir;

std::filesystem::path formats(const std::string& name) {
  return shared_dir() / "golden/formats" / name;
}

constexpr double kPytorchFidFd = 1.5646442523003117;  // expected.json: fd_npz_A_vs_npz_B_dims192

metrics::GaussianStats gaussian(const ImportedStatistics& s) {
  metrics::GaussianStats g;
  g.imported = true;
  g.count = s.count.value_or(0);
  g.mean = Eigen::Map<const Eigen::VectorXd>(s.mean.data(), s.dim);
  g.scatter = Eigen::Map<const Eigen::MatrixXd>(s.covariance.data(), s.dim, s.dim);
  return g;
}

std::string sha256_of(const std::vector<double>& values) {
  return sha256_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(double)));
}

TEST(StatisticsFile, PytorchFidNpzFilesGiveItsOwnFrechetDistance) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/pytorch_fid_stats_first423_dims192.npz");
  const auto a = read_statistics_file(formats("pytorch_fid_stats_first423_dims192.npz"));
  const auto b = read_statistics_file(formats("pytorch_fid_stats_0423_0845_dims192.npz"));
  EXPECT_EQ(a.dim, 192);
  EXPECT_EQ(a.mean_dtype, "<f8");
  EXPECT_EQ(a.covariance_dtype, "<f8");
  EXPECT_FALSE(a.count.has_value());  // pytorch-fid does not record N
  EXPECT_EQ(a.max_asymmetry, 0.0);    // np.cov is symmetric to the bit (expected.json)
  EXPECT_EQ(sha256_of(a.covariance),
            "6a479b465f7e78a2fe4b4aa3cf7ff4dd4b65224a3c94462e12d95c0b5261412b");
  const auto r = metrics::frechet_distance(gaussian(a), gaussian(b));
  EXPECT_NEAR(r.value, kPytorchFidFd, 1e-9 * kPytorchFidFd);
  EXPECT_EQ(r.route, "symmetric-eigen");
  EXPECT_EQ(r.n1, 0);  // unknown
  bool says_imported = false;
  for (const auto& note : r.notes)
    says_imported |= note.find("imported statistics (N unknown)") != std::string::npos;
  EXPECT_TRUE(says_imported);
  // FD is symmetric in its arguments, up to the eigensolver's round-off (the golden's own
  // independent route differs from pytorch-fid by 3.6e-11 relative).
  EXPECT_NEAR(metrics::frechet_distance(gaussian(b), gaussian(a)).value, kPytorchFidFd,
              1e-9 * kPytorchFidFd);
}

TEST(StatisticsFile, Edm2PicklesOfBothProtocolsHoldThePytorchFidArraysBitForBit) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/edm2_style_stats_first423_dims192.pkl");
  const auto npz = read_statistics_file(formats("pytorch_fid_stats_first423_dims192.npz"));
  for (const char* name : {"edm2_style_stats_first423_dims192.pkl",
                           "edm2_style_stats_first423_dims192_protocol5.pkl"}) {
    SCOPED_TRACE(name);
    const auto pkl = read_statistics_file(formats(name));
    EXPECT_EQ(pkl.count, std::optional<std::int64_t>(423));
    EXPECT_EQ(pkl.mean, npz.mean);
    EXPECT_EQ(pkl.covariance, npz.covariance);
    EXPECT_NE(pkl.format.find("entry 'fid'"), std::string::npos) << pkl.format;
    // The entry can be named; a wrong one is refused, listing those there are.
    EXPECT_EQ(read_statistics_file(formats(name), "fid").mean, npz.mean);
    EXPECT_THROW_WITH(read_statistics_file(formats(name), "fd_dinov2"), IoError,
                      "has no statistics entry 'fd_dinov2' (it has: fid)");
  }
}

TEST(StatisticsFile, TorchFidelityCacheKeepsItsFloat32Mean) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/torch_fidelity_cache");
  const auto s = read_statistics_file(
      formats("torch_fidelity_cache/cifar10-first423-inception-v3-compat-stat-fid-192.pt"));
  EXPECT_EQ(s.mean_dtype, "<f4");
  EXPECT_EQ(s.covariance_dtype, "<f8");
  EXPECT_EQ(sha256_of(s.covariance),
            "6a479b465f7e78a2fe4b4aa3cf7ff4dd4b65224a3c94462e12d95c0b5261412b");
  // FORMATS.md 2.4: torch-fidelity's statistics of half A against pytorch-fid's of half B.
  const auto b = read_statistics_file(formats("pytorch_fid_stats_0423_0845_dims192.npz"));
  EXPECT_NEAR(metrics::frechet_distance(gaussian(s), gaussian(b)).value, 1.564644470390114,
              1e-9 * 1.564644470390114);
}

TEST(StatisticsFile, CleanFidStatisticsReadWithTheirFloat32Mean) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/cifar10first423_legacy_pytorch_custom_na.npz");
  const auto s = read_statistics_file(formats("cifar10first423_legacy_pytorch_custom_na.npz"));
  EXPECT_EQ(s.mean_dtype, "<f4");
  EXPECT_EQ(s.dim, 192);
}

TEST(StatisticsFile, RefusesAPickleThatWouldRunCodeNamingTheGlobal) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/refuse_global_builtins_print.pkl");
  EXPECT_THROW_WITH(read_statistics_file(formats("refuse_global_builtins_print.pkl")), IoError,
                    "refused the global builtins.print");
}

TEST(StatisticsFile, SaysWhatAFileHoldsWhenItHoldsNoStatistics) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/adm_samples_first64.npz");
  EXPECT_THROW_WITH(read_statistics_file(formats("adm_samples_first64.npz")), IoError,
                    "has no 'mu' and 'sigma' (its members: 'arr_0', 'arr_1'); it holds arr_0, an "
                    "image sample batch: read it with source = \"npz\"");
  EXPECT_THROW_WITH(
      read_statistics_file(formats("cifar10first423_legacy_pytorch_custom_na_kid.npz")), IoError,
      "it holds features");
  EXPECT_THROW_WITH(read_statistics_file(formats("pytorch_fid_stats_first423_dims192.npz"), "sfid"),
                    IoError, "has no 'mu_s' and 'sigma_s'");
  // torch-fidelity's features cache: a tensor, whose storage the numpy allow-list does not take.
  EXPECT_THROW_WITH(
      read_statistics_file(
          formats("torch_fidelity_cache/cifar10-first423-inception-v3-compat-features-192.pt")),
      IoError, "cifar10-first423-inception-v3-compat-features-192.pt: ");
  const testing::TempDir dir;
  testing::write_text(dir / "notes.txt", "mu sigma\n");
  EXPECT_THROW_WITH(read_statistics_file(dir / "notes.txt"), IoError,
                    "notes.txt: not a statistics file");
  EXPECT_THROW_WITH(read_statistics_file(dir / "absent.npz"), IoError, "absent.npz: no such file");
}

}  // namespace
}  // namespace gensweep::features
