// The command line: usage errors, validate, inspect, and `compare` on folders, stores and
// precomputed features (checked against the golden pytorch-fid value).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "gensweep/store/external_features.h"
#include "support.h"

namespace gensweep::testing {
namespace {

// Minimal .npy v1.0 writer (float32, C order) so the test makes its own feature files.
void write_npy(const std::filesystem::path& path, const FeatureMatrix& m) {
  std::string header = fmt::format(
      "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", m.rows, m.cols);
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(m.values.data()),
            static_cast<std::streamsize>(m.values.size() * sizeof(float)));
}

TEST(Cli, UsageErrorsExitWithCode2) {
  auto none = run_gensweep({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.out.find("usage: gensweep COMMAND"), std::string::npos);
  auto unknown = run_gensweep({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
  auto bad_option = run_gensweep({"run", "x.toml", "--frob"});
  EXPECT_EQ(bad_option.exit_code, 2);
  EXPECT_NE(bad_option.err.find("unknown option '--frob'"), std::string::npos) << bad_option.err;
  auto missing_value = run_gensweep({"compare", "a", "b", "--metrics"});
  EXPECT_EQ(missing_value.exit_code, 2);
  EXPECT_NE(missing_value.err.find("option --metrics needs a value"), std::string::npos);
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"run", "extract", "reduce", "validate", "inspect", "compare"}) {
    auto r = run_gensweep({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("usage: gensweep"), std::string::npos) << cmd;
  }
}

TEST(Cli, MissingJobFileIsAConfigError) {
  TempDir dir;
  auto r = run_gensweep({"validate", (dir / "nope.toml").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("nope.toml"), std::string::npos) << r.err;
}

TEST(Cli, ValidateAcceptsTheBundledJobs) {
  for (const char* job : {"demo.toml", "features_example.toml"}) {
    auto r = run_gensweep({"validate", (source_dir() / "jobs" / job).string(), "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << job << ": " << r.err;
    EXPECT_NE(r.out.find("valid ("), std::string::npos) << r.out;
  }
}

TEST(Cli, CompareGoldenFeaturesMatchesPytorchFid) {
  GENSWEEP_REQUIRE_SHARED("golden/gauss_d64/data.h5");
  auto h5 = (shared_dir() / "golden" / "gauss_d64" / "data.h5").string();
  auto expected = nlohmann::json::parse(read_text(shared_dir() / "golden" / "gauss_d64" /
                                                  "expected.json"))["fd"]["pytorch_fid"]["value"]
                      .get<double>();
  // FILE.h5:/dataset inputs.
  auto r = run_gensweep({"compare", h5 + ":/real", h5 + ":/fake", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["metrics"]["fd"].get<double>(), expected, 1e-9 * expected);
  EXPECT_EQ(j["diagnostics"]["fd"]["n_reference"].get<int>(), 2000);
  // The same features as .npy files.
  TempDir dir;
  write_npy(dir / "real.npy", store::load_external_features(h5 + ":/real"));
  write_npy(dir / "fake.npy", store::load_external_features(h5 + ":/fake"));
  auto n = run_gensweep({"compare", (dir / "real.npy").string(), (dir / "fake.npy").string(),
                         "--json", "--metrics", "fd"});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  EXPECT_NEAR(nlohmann::json::parse(n.out)["metrics"]["fd"].get<double>(), expected,
              1e-9 * expected);
}

TEST(Cli, CompareFoldersAndStores) {
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 12);
  copy_cifar_images(dir / "b", 500, 12);
  auto same = run_gensweep(
      {"compare", (dir / "a").string(), (dir / "a").string(), "--backbone", "pixels-32", "--json"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  // A set against itself: FD is 0 up to round-off (N < D: the exact nuclear-norm route).
  auto js = nlohmann::json::parse(same.out);
  EXPECT_LT(std::abs(js["metrics"]["fd"].get<double>()), 1e-9);
  EXPECT_EQ(js["diagnostics"]["fd"]["route"].get<std::string>(), "nuclear-norm");

  auto diff = run_gensweep({"compare", (dir / "a").string(), (dir / "b").string(), "--backbone",
                            "pixels-32", "--json", "--cache", (dir / "cache").string()});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  double fd = nlohmann::json::parse(diff.out)["metrics"]["fd"].get<double>();
  EXPECT_GT(fd, 1.0);
  // The cached stores are gensweep stores: comparing them gives the same number.
  auto stores =
      run_gensweep({"compare", (dir / "cache" / "stores" / "reference" / "features.h5").string(),
                    (dir / "cache" / "stores" / "evaluated" / "features.h5").string(), "--json"});
  ASSERT_EQ(stores.exit_code, 0) << stores.err;
  EXPECT_EQ(nlohmann::json::parse(stores.out)["metrics"]["fd"].get<double>(), fd);

  auto inspect =
      run_gensweep({"inspect", (dir / "cache" / "stores" / "reference" / "features.h5").string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("features   12 x 3072 float32"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("backbone_kind"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("(complete)"), std::string::npos) << inspect.out;
}

TEST(Cli, CompareRejectsMixingFoldersAndFeatures) {
  GENSWEEP_REQUIRE_SHARED("golden/gauss_d64/data.h5");
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 3);
  auto h5 = (shared_dir() / "golden" / "gauss_d64" / "data.h5").string();
  auto r =
      run_gensweep({"compare", (dir / "a").string(), h5 + ":/fake", "--backbone", "pixels-32"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot compare an image folder with precomputed features"),
            std::string::npos);
  auto missing = run_gensweep({"compare", (dir / "nothing").string(), h5 + ":/fake"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nothing' does not exist"), std::string::npos) << missing.err;
  auto metric = run_gensweep({"compare", h5 + ":/real", h5 + ":/fake", "--metrics", "fid"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_NE(metric.err.find("unknown metric 'fid'"), std::string::npos) << metric.err;
}

}  // namespace
}  // namespace gensweep::testing
