// The same job under 1, 2 and 4 ranks writes bitwise identical stores and results, including ranks
// that get no work unit at all and an image that fails to decode.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gensweep/store/feature_store.h"
#include "support.h"

namespace gensweep::testing {
namespace {

class RankInvariance : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_cifar_images(dir_ / "big", 0, 37);
    // A truncated PNG: recorded as a failure, its row is invalid, the job goes on.
    auto bytes = read_text(source_dir() / "data" / "cifar10-846" / "0100.png");
    write_text(dir_ / "big" / "zz_truncated.png", bytes.substr(0, bytes.size() / 2));
    copy_cifar_images(dir_ / "small", 400, 5);  // one unit: ranks 1..3 get nothing
    write_text(dir_ / "job.toml", R"(
[job]
name = "ranks"
output = "out"

[compute]
batch_size = 3
threads = 1
unit_size = 8
max_failed_images = 1

[[datasets]]
id = "big"
source = "folder"
path = "big"

[[datasets]]
id = "small"
source = "folder"
path = "small"

[[datasets]]
id = "noisy"
source = "derived"
base = "big"
distortion = { kind = "gaussian_noise", sigma = 12.0 }
seed = 5

[[backbones]]
id = "pix"
kind = "pixels"
size = 8

[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 24
width = 4
input_size = 32
seed = 3

[[comparisons]]
reference = "big"
evaluated = ["small", "noisy"]
)");
  }
  TempDir dir_{"gensweep-ranks"};
};

TEST_F(RankInvariance, StoresAndResultsAreBitwiseIdenticalFor124Ranks) {
  auto one = run_gensweep({"run", "job.toml", "--quiet", "--output", "out1"}, 0, dir_.path());
  ASSERT_EQ(one.exit_code, 0) << one.err;
  for (int ranks : {2, 4}) {
    auto out = "out" + std::to_string(ranks);
    auto r = run_gensweep({"run", "job.toml", "--quiet", "--output", out}, ranks, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* dataset : {"big", "small", "noisy"}) {
      for (const char* backbone : {"pix", "cnn"}) {
        auto rel = std::filesystem::path("stores") / dataset / (std::string(backbone) + ".h5");
        expect_same_store(dir_ / "out1" / rel, dir_ / out / rel);
      }
    }
    auto ja = nlohmann::json::parse(read_text(dir_ / "out1" / "results.json"));
    auto jb = nlohmann::json::parse(read_text(dir_ / out / "results.json"));
    ASSERT_EQ(ja["entries"].size(), 4u);
    for (std::size_t i = 0; i < ja["entries"].size(); ++i) {
      EXPECT_EQ(ja["entries"][i]["value"].get<double>(), jb["entries"][i]["value"].get<double>());
    }
    EXPECT_EQ(jb["ranks"].get<int>(), ranks);
  }
  // The truncated file is recorded with its reason, and the other 37 images are valid.
  auto st = store::FeatureStore::open_read(dir_ / "out1" / "stores" / "big" / "pix.h5");
  auto failures = st.read_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].row, 37);
  EXPECT_NE(failures[0].reason.find("zz_truncated.png"), std::string::npos) << failures[0].reason;
  auto valid = st.read_valid();
  EXPECT_EQ(std::count(valid.begin(), valid.end(), 1), 37);
}

TEST_F(RankInvariance, AnErrorEndsEveryRankWithItsMessage) {
  write_text(dir_ / "bad.toml", "[job]\nname = \"x\"\noutput = \"o\"\nbogus = 1\n");
  auto r = run_gensweep({"run", "bad.toml"}, 2, dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.toml:4:1"), std::string::npos) << r.err;
}

TEST_F(RankInvariance, TooManyFailedImagesFailsTheJobButKeepsTheStores) {
  auto text = read_text(dir_ / "job.toml");
  text.replace(text.find("max_failed_images = 1"), 21, "max_failed_images = 0");
  write_text(dir_ / "strict.toml", text);
  auto r = run_gensweep({"run", "strict.toml", "--quiet"}, 2, dir_.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("1 images failed to decode, more than compute.max_failed_images = 0"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("zz_truncated.png"), std::string::npos) << r.err;
  auto st = store::FeatureStore::open_read(dir_ / "out" / "stores" / "big" / "pix.h5");
  EXPECT_TRUE(st.is_complete());
}

}  // namespace
}  // namespace gensweep::testing
