// Statistics other tools wrote as datasets (source = "statistics") through `gensweep run`:
// pytorch-fid's own statistics file against a folder of the other half of the images, through
// gensweep's fid-inception at layer 192 with the stand-in weights, must give pytorch-fid's own
// FD (shared/golden/formats/expected.json); metrics that need features are refused before
// anything runs, and a bad file is named without losing the stores already extracted.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

constexpr double kPytorchFidFd = 1.5646442523003117;  // fd_npz_A_vs_folder_B_dims192
constexpr const char* kWeightsSha256 =
    "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed";

std::string job_text(const fs::path& statistics, const fs::path& folder,
                     const std::string& metrics = R"(["fd"])", const std::string& layer = "192") {
  return fmt::format(R"([job]
name = "imported"
output = "out"

[compute]
threads = 2

[[datasets]]
id = "pytorch_fid_half_a"
source = "statistics"
path = "{0}"
backbone = "inception"

[[datasets]]
id = "half_b"
source = "folder"
path = "{1}"

[[backbones]]
id = "inception"
kind = "fid-inception"
weights = "{2}"
sha256 = "{3}"
layer = "{5}"

[[comparisons]]
reference = "pytorch_fid_half_a"
evaluated = ["half_b"]
metrics = {4}
)",
                     statistics.string(), folder.string(),
                     (shared_dir() / "weights/surrogate-fid-inception.pth").string(),
                     kWeightsSha256, metrics, layer);
}

class StatisticsSource : public ::testing::Test {
 protected:
  void SetUp() override {
    if (shared_dir().empty() ||
        !fs::exists(shared_dir() / "golden/formats/pytorch_fid_stats_first423_dims192.npz") ||
        !fs::exists(shared_dir() / "weights/surrogate-fid-inception.pth"))
      GTEST_SKIP() << "needs ../shared/golden/formats and ../shared/weights";
  }
  // Images 0423.. of the bundled set: all 423 for the golden, fewer where only errors matter.
  void copy_half_b(int count) { copy_cifar_images(dir_ / "half_b", 423, count); }
  fs::path formats(const std::string& name) const { return shared_dir() / "golden/formats" / name; }
  TempDir dir_;
};

TEST_F(StatisticsSource, PytorchFidStatisticsAgainstAFolderGiveItsOwnFd) {
  copy_half_b(423);
  write_text(dir_ / "job.toml",
             job_text(formats("pytorch_fid_stats_first423_dims192.npz"), dir_ / "half_b"));
  const auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream in(dir_ / "out" / "results.json");
  const auto results = nlohmann::json::parse(in);
  const auto& entry = results["entries"][0];
  ASSERT_EQ(entry["metric"], "fd") << entry;
  // gensweep's layer-192 features equal pytorch-fid's to float32 round-off (fid_inception_tests);
  // FD = 1.56 is a difference of traces of about 10^2, so round-off of 1e-7 in the features moves
  // it by about 1e-5 of itself.
  EXPECT_NEAR(entry["value"].get<double>(), kPytorchFidFd, 1e-5 * kPytorchFidFd) << entry;
  const auto& d = entry["diagnostics"];
  EXPECT_EQ(d["route"], "symmetric-eigen");
  EXPECT_TRUE(d["n_reference"].is_null());  // pytorch-fid does not record N
  EXPECT_EQ(d["n_evaluated"], 423);
  EXPECT_NE(d["reference_statistics"].get<std::string>().find(".npz (mu, sigma)"),
            std::string::npos)
      << d;
}

TEST_F(StatisticsSource, MetricsThatNeedFeaturesAreRefusedBeforeAnythingRuns) {
  copy_half_b(4);
  write_text(dir_ / "job.toml", job_text(formats("pytorch_fid_stats_first423_dims192.npz"),
                                         dir_ / "half_b", R"(["fd", "kid"])"));
  const auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;  // a configuration error
  EXPECT_NE(r.err.find("job.toml:26:1: dataset \"pytorch_fid_half_a\" is imported statistics"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("metric \"kid\" needs features; only fd can use statistics"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "stores")) << "nothing may run before the refusal";
}

TEST_F(StatisticsSource, AHostileOrMismatchedFileIsNamedAndTheExtractedStoreKept) {
  copy_half_b(8);
  // A pickle that would run builtins.print: refused at the reduce stage (exit 4, I/O), after the
  // folder's features were extracted; the store stays on disk for the next run.
  write_text(dir_ / "job.toml",
             job_text(formats("refuse_global_builtins_print.pkl"), dir_ / "half_b"));
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("refuse_global_builtins_print.pkl: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refused the global builtins.print"), std::string::npos) << r.err;
  const fs::path store = dir_ / "out" / "stores" / "half_b" / "inception.h5";
  EXPECT_TRUE(fs::exists(store)) << "the extracted store must survive the failed reduce";

  // The right file with the wrong layer: a dimension mismatch that names the file (exit 10). In
  // a job folder of its own, whose stores are of layer 64.
  fs::create_directories(dir_ / "layer64");
  write_text(dir_ / "layer64" / "job.toml",
             job_text(formats("pytorch_fid_stats_first423_dims192.npz"), dir_ / "half_b",
                      R"(["fd"])", "64"));
  r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_ / "layer64");
  EXPECT_EQ(r.exit_code, 10) << r.err;
  EXPECT_NE(r.err.find("fd: the reference features have dimension 192 but the evaluated ones 64; "
                       "the reference statistics are imported"),
            std::string::npos)
      << r.err;

  // A missing file is a configuration error naming the line of its path.
  write_text(dir_ / "job.toml", job_text(dir_ / "absent.npz", dir_ / "half_b"));
  r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("job.toml:11:8"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gensweep::testing
