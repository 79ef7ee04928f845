// The files that ship with the repository: configs/backbones.toml and the example jobs under
// jobs/ load, and the presets say what their comments say.

#include <fmt/format.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"
#include "gensweep/config/presets.h"
#include "gensweep/core/sha256.h"

namespace gensweep::config::testing {
namespace {

fs::path repo() {
  return ::gensweep::testing::source_dir();
}
fs::path configs_dir() {
  return repo() / "configs";
}

LoadOptions repo_options() {
  LoadOptions options;
  options.presets_dir = configs_dir();
  // The metric names the shipped jobs use. The real metric table lives in the pipeline module;
  // Cli.ValidateAcceptsTheBundledJobs checks these jobs against it through the binary.
  options.known_metrics = {"fd", "kid", "precision", "recall", "density", "coverage", "rarity"};
  return options;
}

TEST(ShippedPresetsTest, EveryPresetResolves) {
  const fs::path file = configs_dir() / "backbones.toml";
  const std::string text = ::gensweep::testing::read_text(file);
  const std::vector<std::string> names = list_presets(text, file);
  EXPECT_EQ(names, (std::vector<std::string>{"pixels-32", "random-cnn-512", "fid-inception",
                                             "fid-inception-surrogate"}));
  // One backbone per preset; weights the presets leave to the job come from the job.
  std::string job =
      "[job]\nname = \"presets\"\noutput = \"out\"\n\n"
      "[[datasets]]\nid = \"a\"\nsource = \"folder\"\npath = \"a\"\n\n"
      "[[datasets]]\nid = \"b\"\nsource = \"folder\"\npath = \"b\"\n\n";
  for (const auto& name : names) {
    job += fmt::format("[[backbones]]\nid = \"{}\"\npreset = \"{}\"\n", name, name);
    if (name == "fid-inception") job += "weights = \"pt_inception-2015-12-05-6726825d.pth\"\n";
    job += "\n";
  }
  job += "[[comparisons]]\nreference = \"a\"\nevaluated = [\"b\"]\n";
  LoadOptions options = repo_options();
  options.check_paths = false;
  const Job loaded = parse_job(job, repo() / "jobs" / "presets.toml", text, file, options);
  ASSERT_EQ(loaded.backbones.size(), names.size());

  EXPECT_EQ(std::get<PixelsParams>(find_backbone(loaded, "pixels-32").params).size, 32);
  EXPECT_EQ(find_backbone(loaded, "pixels-32").dim(), 3072);
  const auto& rcnn = std::get<RandomCnnParams>(find_backbone(loaded, "random-cnn-512").params);
  EXPECT_EQ(rcnn.dim, 512);
  EXPECT_EQ(rcnn.seed, 0u);
  const auto& fid = std::get<FidInceptionParams>(find_backbone(loaded, "fid-inception").params);
  EXPECT_FALSE(fid.sha256.has_value());  // unpinned on purpose: see the preset's comment
  EXPECT_EQ(fid.layer, "2048");
  EXPECT_EQ(fid.resize, ResizeFilter::kPytorchBilinear);
  const auto& surrogate =
      std::get<FidInceptionParams>(find_backbone(loaded, "fid-inception-surrogate").params);
  EXPECT_EQ(surrogate.sha256, "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed");
  EXPECT_EQ(surrogate.weights.filename(), "surrogate-fid-inception.pth");
}

TEST(ShippedPresetsTest, SurrogatePresetPointsAtTheSharedWeights) {
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  const fs::path file = configs_dir() / "backbones.toml";
  const std::string text = ::gensweep::testing::read_text(file);
  const std::string job =
      "[job]\nname = \"s\"\noutput = \"out\"\n\n"
      "[[datasets]]\nid = \"a\"\nsource = \"folder\"\npath = \"a\"\n\n"
      "[[datasets]]\nid = \"b\"\nsource = \"folder\"\npath = \"b\"\n\n"
      "[[backbones]]\nid = \"s\"\npreset = \"fid-inception-surrogate\"\n\n"
      "[[comparisons]]\nreference = \"a\"\nevaluated = [\"b\"]\n";
  LoadOptions options = repo_options();
  options.check_paths = false;
  const Job loaded = parse_job(job, repo() / "jobs" / "s.toml", text, file, options);
  const auto& params = std::get<FidInceptionParams>(loaded.backbones[0].params);
  // The preset's relative path assumes the repository sits next to shared/.
  const fs::path shared_copy =
      ::gensweep::testing::shared_dir() / "weights" / "surrogate-fid-inception.pth";
  if (!fs::exists(params.weights))
    GTEST_SKIP() << params.weights << " does not exist (repository not next to shared/)";
  EXPECT_TRUE(fs::equivalent(params.weights, shared_copy));
  EXPECT_EQ(sha256_file_hex(params.weights), *params.sha256);
}

TEST(ShippedJobsTest, DemoLoads) {
  LoadOptions options = repo_options();
  // The images ship with the repository; check paths when they are there.
  options.check_paths = fs::is_directory(repo() / "data" / "cifar10-846");
  const Job job = load_job(repo() / "jobs" / "demo.toml", options);
  EXPECT_EQ(job.name, "demo");
  EXPECT_EQ(job.output_dir, (repo() / "out" / "demo").lexically_normal());
  std::vector<std::string> ids;
  for (const auto& d : job.datasets)
    ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"real", "clean", "blur1", "blur2", "noise8", "noise24",
                                           "jpeg30", "jpeg10", "shift"}));
  const auto& real = std::get<FolderSource>(job.datasets[0].source);
  EXPECT_EQ(real.path, (repo() / "data" / "cifar10-846").lexically_normal());
  EXPECT_EQ(real.offset, 0);
  EXPECT_EQ(real.limit, 423);
  const auto& clean = std::get<FolderSource>(job.datasets[1].source);
  EXPECT_EQ(clean.path, real.path);
  EXPECT_EQ(clean.offset, 423);
  EXPECT_FALSE(clean.limit.has_value());
  for (std::size_t i = 2; i < job.datasets.size(); ++i)
    EXPECT_EQ(std::get<DerivedSource>(job.datasets[i].source).base, "clean");
  ASSERT_EQ(job.backbones.size(), 2u);
  EXPECT_EQ(job.backbones[0].kind(), "pixels");
  EXPECT_EQ(job.backbones[1].kind(), "random-cnn");
  ASSERT_EQ(job.comparisons.size(), 1u);
  EXPECT_EQ(job.comparisons[0].reference, "real");
  EXPECT_EQ(job.comparisons[0].evaluated.size(), 8u);
  EXPECT_EQ(job.comparisons[0].metrics,
            (std::vector<std::string>{"fd", "kid", "precision", "recall", "density", "coverage",
                                      "rarity"}));
  EXPECT_FALSE(canonical_form(job).empty());
}

TEST(ShippedJobsTest, FeaturesExampleLoadsWithItsShippedFiles) {
  const Job job = load_job(repo() / "jobs" / "features_example.toml", repo_options());
  ASSERT_EQ(job.datasets.size(), 2u);
  const auto& reference = std::get<FeaturesSource>(job.datasets[0].source);
  EXPECT_EQ(reference.format, FeaturesFormat::kNpy);
  EXPECT_EQ(reference.file, (repo() / "data" / "features" / "reference.npy").lexically_normal());
  const auto& model = std::get<FeaturesSource>(job.datasets[1].source);
  EXPECT_EQ(model.format, FeaturesFormat::kHdf5);
  EXPECT_EQ(model.hdf5_dataset, "/embeddings");
  EXPECT_EQ(job.comparisons[0].backbones, std::vector<std::string>{"given"});
  EXPECT_EQ(job.backbones[0].dim(), 64);
}

TEST(ShippedJobsTest, FeaturesFileThatIsMissingIsNamed) {
  ::gensweep::testing::TempDir dir;
  auto text = ::gensweep::testing::read_text(repo() / "jobs" / "features_example.toml");
  // The same job, pointing at a file that is not there.
  text.replace(text.find("../data/features/reference.npy"), 30, "missing.npy");
  ::gensweep::testing::write_text(dir / "job.toml", text);
  EXPECT_THROW_WITH(
      load_job(dir / "job.toml", repo_options()), ConfigError,
      "datasets[0].path: \"" + (dir.path() / "missing.npy").string() + "\" does not exist");
}

}  // namespace
}  // namespace gensweep::config::testing
