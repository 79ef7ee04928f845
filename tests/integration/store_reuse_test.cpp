// Stores whose provenance matches are reused, not recomputed; a mismatch or a damaged store is
// refused with a message naming the attribute or the file, and --rebuild recomputes it.
#include <gtest/gtest.h>

#include "gensweep/store/feature_store.h"
#include "support.h"

namespace gensweep::testing {
namespace {

constexpr const char* kJob = R"(
[job]
name = "reuse"
output = "out"

[compute]
threads = 1
unit_size = 4

[[datasets]]
id = "ref"
source = "folder"
path = "ref"

[[datasets]]
id = "blurred"
source = "derived"
base = "ref"
distortion = { kind = "gaussian_blur", sigma = SIGMA }

[[backbones]]
id = "pix"
kind = "pixels"
size = 4

[[comparisons]]
reference = "ref"
evaluated = ["blurred"]
)";

class StoreReuse : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_cifar_images(dir_ / "ref", 10, 9);
    write_job("1.0");
  }
  void write_job(const std::string& sigma) {
    std::string text = kJob;
    text.replace(text.find("SIGMA"), 5, sigma);
    write_text(dir_ / "job.toml", text);
  }
  std::filesystem::path store(const char* dataset) {
    return dir_ / "out" / "stores" / dataset / "pix.h5";
  }
  std::string created(const char* dataset) {
    return store::FeatureStore::open_read(store(dataset)).provenance().at("created_utc");
  }
  TempDir dir_{"gensweep-reuse"};
};

TEST_F(StoreReuse, MatchingStoresAreReused) {
  auto first = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto before = read_text(store("blurred"));
  auto second = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("(reused): 9 of 9 images valid, 0 units computed"), std::string::npos)
      << second.err;
  EXPECT_EQ(read_text(store("blurred")), before);  // not rewritten
}

TEST_F(StoreReuse, ChangedDistortionIsRefusedThenRebuilt) {
  ASSERT_EQ(run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path()).exit_code, 0);
  write_job("2.5");
  auto refused = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_NE(refused.err.find("existing store does not match this job"), std::string::npos);
  EXPECT_NE(refused.err.find("dataset_fingerprint"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--rebuild"), std::string::npos);
  // The reference store was untouched and is still reused.
  auto rebuilt = run_gensweep({"run", "job.toml", "--quiet", "--rebuild"}, 0, dir_.path());
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  auto st = store::FeatureStore::open_read(store("blurred"));
  EXPECT_NE(st.provenance().at("dataset_source").find("sigma=2.5"), std::string::npos)
      << st.provenance().at("dataset_source");
}

TEST_F(StoreReuse, DamagedStoreIsRefusedWithItsPathThenRebuilt) {
  ASSERT_EQ(run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path()).exit_code, 0);
  auto bytes = read_text(store("ref"));
  write_text(store("ref"), bytes.substr(0, bytes.size() / 3));
  auto refused = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_NE(refused.err.find(store("ref").string()), std::string::npos) << refused.err;
  auto rebuilt = run_gensweep({"run", "job.toml", "--quiet", "--rebuild"}, 0, dir_.path());
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
}

TEST_F(StoreReuse, ForeignHdf5FileIsRefused) {
  std::filesystem::create_directories(store("ref").parent_path());
  // A valid HDF5 file that is not a gensweep store: a features file of another tool.
  std::filesystem::copy_file(source_dir() / "tests" / "data" / "integration" / "foreign.h5",
                             store("ref"));
  auto refused = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_NE(refused.err.find("not a gensweep"), std::string::npos) << refused.err;
}

// A network's features change in their last bits with the batch size (LibTorch picks convolution
// kernels by batch size), so a network store records it and is not reused at another one; a
// pixels store's rows do not depend on the batch, and it is reused.
TEST_F(StoreReuse, AnotherBatchSizeMakesNetworkStoresMismatchButNotPixelStores) {
  auto text = read_text(dir_ / "job.toml");
  text.replace(text.find("[[comparisons]]"), 0,
               "[[backbones]]\nid = \"cnn\"\nkind = \"random-cnn\"\ndim = 8\nwidth = 2\n"
               "input_size = 16\n\n");
  write_text(dir_ / "job.toml", text);
  ASSERT_EQ(run_gensweep({"extract", "job.toml", "--quiet"}, 0, dir_.path()).exit_code, 0);
  EXPECT_EQ(store::FeatureStore::open_read(dir_ / "out" / "stores" / "ref" / "cnn.h5")
                .provenance()
                .at("batch_size"),
            "64");  // the default
  EXPECT_EQ(store::FeatureStore::open_read(store("ref")).provenance().count("batch_size"), 0u);

  text.replace(text.find("unit_size = 4"), 0, "batch_size = 3\n");
  write_text(dir_ / "job.toml", text);
  auto refused = run_gensweep({"extract", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_NE(refused.err.find("cnn.h5: existing store does not match this job"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("batch_size"), std::string::npos) << refused.err;

  // Without the network, the pixels stores are reused at the new batch size.
  text.erase(text.find("[[backbones]]\nid = \"cnn\""),
             text.find("[[comparisons]]") - text.find("[[backbones]]\nid = \"cnn\""));
  write_text(dir_ / "job.toml", text);
  auto reused = run_gensweep({"extract", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  EXPECT_NE(reused.err.find("(reused): 9 of 9 images valid, 0 units computed"), std::string::npos)
      << reused.err;
}

}  // namespace
}  // namespace gensweep::testing
