#include "gensweep/pipeline/plan.h"

#include <gtest/gtest.h>

#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "imgs");
    std::filesystem::copy_file(testing::source_dir() / "data" / "cifar10-846" / "0000.png",
                               dir_ / "imgs" / "a.png");
    std::filesystem::copy_file(testing::source_dir() / "data" / "cifar10-846" / "0001.png",
                               dir_ / "imgs" / "b.png");
  }
  Plan plan_for(const std::string& text) {
    testing::write_text(dir_ / "job.toml", text);
    config::LoadOptions options;
    options.presets_dir = testing::source_dir() / "configs";
    return make_plan(config::load_job(dir_ / "job.toml", options));
  }
  testing::TempDir dir_;
};

constexpr const char* kJob = R"(
[job]
name = "p"
output = "out"
[[datasets]]
id = "ref"
source = "folder"
path = "imgs"
[[datasets]]
id = "other"
source = "folder"
path = "imgs"
limit = 1
[[datasets]]
id = "blurry"
source = "derived"
base = "other"
distortion = { kind = "gaussian_blur", sigma = 1.5 }
[[backbones]]
id = "pix"
preset = "pixels-32"
[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 8
[[comparisons]]
reference = "ref"
evaluated = ["blurry", "other"]
backbones = ["cnn", "pix"]
)";

TEST_F(PlanTest, ExtractionFollowsJobOrderAndReductionFollowsComparisons) {
  Plan plan = plan_for(kJob);
  ASSERT_EQ(plan.extraction.size(), 3u);
  EXPECT_EQ(plan.extraction[0].dataset, "ref");
  EXPECT_EQ(plan.extraction[1].dataset, "other");
  EXPECT_EQ(plan.extraction[2].dataset, "blurry");
  // Backbones in job order whatever order the comparison lists them in.
  EXPECT_EQ(plan.extraction[0].backbones, (std::vector<std::string>{"pix", "cnn"}));
  ASSERT_EQ(plan.reduction.size(), 4u);
  EXPECT_EQ(plan.reduction[0].evaluated, "blurry");
  EXPECT_EQ(plan.reduction[0].backbone, "cnn");
  EXPECT_EQ(plan.reduction[3].evaluated, "other");
  EXPECT_EQ(plan.reduction[3].backbone, "pix");
  EXPECT_EQ(plan.dataset("other").images->size(), 1);
  EXPECT_EQ(plan.dataset("blurry").images->size(), 1);
  EXPECT_NE(plan.dataset("blurry").description.find("gaussian_blur(sigma=1.5)"), std::string::npos)
      << plan.dataset("blurry").description;
  EXPECT_EQ(plan.store_path("ref", "pix"), dir_.path() / "out" / "stores" / "ref" / "pix.h5");
}

TEST_F(PlanTest, KindsThisBuildCannotRunAreConfigErrorsWithTheirLocation) {
  std::string text = kJob;
  text += R"(
[[backbones]]
id = "incept"
kind = "fid-inception"
weights = "imgs/a.png"
)";
  EXPECT_THROW_WITH(
      plan_for(text), ConfigError,
      "backbone 'incept' has kind 'fid-inception', which this build of gensweep cannot run yet");
}

}  // namespace
}  // namespace gensweep::pipeline
