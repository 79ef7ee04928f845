#include "gensweep/pipeline/plan.h"

#include <gtest/gtest.h>

#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "gensweep/io/corruption.h"
#include "gensweep/pipeline/metric_table.h"
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
    options.known_metrics = metric_names();
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

TEST_F(PlanTest, BothWaysAddsBackwardAndLeaveOneOutSelfTasks) {
  std::string job = kJob;
  job += "metrics = [\"fd\", \"rarity\", \"precision\"]\ndirections = \"both\"\n";
  Plan plan = plan_for(job);
  // Per evaluated set and backbone: forward, backward; each set against itself once per backbone
  // (the reference's self task shared by both evaluated sets), k-NN metrics only.
  ASSERT_EQ(plan.both_ways.size(), 4u);
  ASSERT_EQ(plan.reduction.size(), 2u * 4u + 2u + 2u * 2u);
  const BothWaysPlan& first = plan.both_ways[0];
  EXPECT_EQ(first.reference, "ref");
  EXPECT_EQ(first.evaluated, "blurry");
  EXPECT_EQ(first.backbone, "cnn");
  EXPECT_DOUBLE_EQ(first.rarest_fraction, 0.1);
  auto task = [&](const BothWaysPlan& b, Direction d) -> const ReductionTask& {
    return plan.reduction.at(b.tasks[static_cast<std::size_t>(d)]);
  };
  EXPECT_EQ(task(first, Direction::kForward).reference, "ref");
  EXPECT_EQ(task(first, Direction::kForward).evaluated, "blurry");
  EXPECT_FALSE(task(first, Direction::kForward).leave_one_out);
  EXPECT_EQ(task(first, Direction::kBackward).reference, "blurry");
  EXPECT_EQ(task(first, Direction::kBackward).evaluated, "ref");
  EXPECT_EQ(task(first, Direction::kBackward).metrics,
            (std::vector<std::string>{"fd", "rarity", "precision"}));
  for (Direction d : {Direction::kSelfReference, Direction::kSelfEvaluated}) {
    const ReductionTask& self = task(first, d);
    EXPECT_TRUE(self.leave_one_out);
    EXPECT_EQ(self.reference, self.evaluated);
    EXPECT_EQ(self.backbone, "cnn");
    // fd of a set against itself is 0 by definition: not computed.
    EXPECT_EQ(self.metrics, (std::vector<std::string>{"rarity", "precision"}));
  }
  EXPECT_EQ(task(first, Direction::kSelfReference).reference, "ref");
  EXPECT_EQ(task(first, Direction::kSelfEvaluated).reference, "blurry");
  // "other" in cnn shares ref's self task in cnn.
  const BothWaysPlan& other = plan.both_ways[2];
  EXPECT_EQ(other.evaluated, "other");
  EXPECT_EQ(other.backbone, "cnn");
  EXPECT_EQ(other.tasks[static_cast<std::size_t>(Direction::kSelfReference)],
            first.tasks[static_cast<std::size_t>(Direction::kSelfReference)]);
}

TEST_F(PlanTest, BothWaysWithoutKnnMetricsHasNoSelfTasks) {
  std::string job = kJob;
  job += "directions = \"both\"\n";  // metrics: fd only
  Plan plan = plan_for(job);
  ASSERT_EQ(plan.reduction.size(), 2u * 4u);
  for (const auto& b : plan.both_ways) {
    EXPECT_EQ(b.tasks[static_cast<std::size_t>(Direction::kSelfReference)], BothWaysPlan::kNoTask);
    EXPECT_EQ(b.tasks[static_cast<std::size_t>(Direction::kSelfEvaluated)], BothWaysPlan::kNoTask);
  }
  for (const auto& t : plan.reduction)
    EXPECT_FALSE(t.leave_one_out);
}

TEST_F(PlanTest, FidInceptionParamsBecomeFeaturesOptions) {
  std::string text = kJob;
  text += R"(
[[backbones]]
id = "incept"
kind = "fid-inception"
weights = "imgs/a.png"
sha256 = "D1498881EBE037A1592AE967152A7B2C511CB97CE18FAE02372B42C790ECAFED"
layer = "768"
resize = "tf1-bilinear"
)";
  const Plan plan = plan_for(text);
  ASSERT_TRUE(plan.backbone("incept").options.has_value());
  const auto& o = std::get<features::FidInceptionOptions>(*plan.backbone("incept").options);
  EXPECT_EQ(o.weights, dir_.path() / "imgs" / "a.png");
  EXPECT_EQ(o.expected_sha256, "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed");
  EXPECT_EQ(o.layer, "768");
  EXPECT_EQ(o.resize, features::FidInceptionOptions::Resize::kTf1Bilinear);
}

TEST_F(PlanTest, ResizeFiltersTheFidInceptionDoesNotImplementAreConfigErrorsWithTheirLocation) {
  std::string text = kJob;
  text += R"(
[[backbones]]
id = "incept"
kind = "fid-inception"
weights = "imgs/a.png"
resize = "pil-bicubic"
)";
  EXPECT_THROW_WITH(
      plan_for(text), ConfigError,
      "job.toml:31:1: backbone 'incept' (fid-inception) has resize = \"pil-bicubic\", "
      "which gensweep's FID Inception does not implement (available: "
      "pytorch-bilinear as pytorch-fid, tf1-bilinear as torch-fidelity)");
}

// Every corruption is implemented at every severity; spatter's water severities (1-3, through
// OpenCV) were the last ones refused when planning.
TEST_F(PlanTest, SpatterIsPlannedAtEverySeverity) {
  std::string text = kJob;
  for (int severity = 1; severity <= 5; ++severity) {
    const std::string s = std::to_string(severity);
    text += "\n[[datasets]]\nid = \"spatter" + s +
            "\"\nsource = \"derived\"\nbase = \"other\"\n"
            "distortion = { kind = \"corruption\", name = \"spatter\", severity = " +
            s + ", parameters = \"cifar\" }\n";
  }
  EXPECT_NO_THROW(plan_for(text));
}

}  // namespace
}  // namespace gensweep::pipeline

namespace gensweep::pipeline {
namespace {

// The job loader (config, which may not depend on io) and the corruption code each list the
// corruption names; the plan maps one onto the other by position, so they must be the same list.
TEST(CorruptionNames, ConfigAndIoListTheSameCorruptionsInTheSameOrder) {
  ASSERT_EQ(config::Corruption::kNames.size(), io::kCorruptionNames.size());
  for (std::size_t i = 0; i < io::kCorruptionNames.size(); ++i)
    EXPECT_EQ(config::Corruption::kNames[i], io::kCorruptionNames[i]) << i;
}

}  // namespace
}  // namespace gensweep::pipeline
