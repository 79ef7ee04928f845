// Jobs that load: typed values, defaults, presets and overrides, path resolution, references.

#include <fmt/format.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"
#include "gensweep/config/presets.h"
#include "gensweep/core/strings.h"

namespace gensweep::config::testing {
namespace {

using LoaderTest = ConfigTest;

TEST_F(LoaderTest, MinimalJobGetsEveryDefault) {
  const Job job = load(kMinimalJob);
  EXPECT_EQ(job.name, "t");
  EXPECT_EQ(job.job_file, job_file());
  EXPECT_EQ(job.output_dir, root() / "out");
  EXPECT_EQ(job.presets_file, presets_file());
  EXPECT_EQ(job.where.str(), fmt::format("{}:1:1", job_file().string()));

  const ComputeConfig& c = job.compute;
  EXPECT_EQ(c.batch_size, 64);
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.device, Device{});
  EXPECT_EQ(c.device.str(), "cpu");
  EXPECT_EQ(c.unit_size, 256);
  EXPECT_EQ(c.max_failed_images, 0);
  EXPECT_EQ(c.max_image_pixels, 178956970);
  EXPECT_EQ(c.where.line, 0);
  EXPECT_EQ(job.report.contact_sheet_images, 16);
  EXPECT_EQ(job.report.where.line, 0);

  ASSERT_EQ(job.datasets.size(), 2u);
  const auto& real = std::get<FolderSource>(job.datasets[0].source);
  EXPECT_EQ(real.path, root() / "data" / "a");
  EXPECT_EQ(real.offset, 0);
  EXPECT_FALSE(real.limit.has_value());
  EXPECT_EQ(job.datasets[0].where.line, 5);
  EXPECT_TRUE(job.datasets[0].has_images());
  EXPECT_EQ(source_name(job.datasets[0].source), "folder");

  ASSERT_EQ(job.backbones.size(), 1u);
  EXPECT_EQ(job.backbones[0].kind(), "pixels");
  EXPECT_EQ(std::get<PixelsParams>(job.backbones[0].params).size, 32);
  EXPECT_EQ(job.backbones[0].dim(), 3 * 32 * 32);
  EXPECT_EQ(job.backbones[0].preset, "");

  ASSERT_EQ(job.comparisons.size(), 1u);
  const ComparisonConfig& cmp = job.comparisons[0];
  EXPECT_EQ(cmp.reference, "real");
  EXPECT_EQ(cmp.evaluated, std::vector<std::string>{"eval"});
  EXPECT_EQ(cmp.backbones, std::vector<std::string>{"pix"});  // default: every applicable one
  EXPECT_EQ(cmp.metrics, std::vector<std::string>{"fd"});     // default
  EXPECT_EQ(cmp.where.line, 19);
}

TEST_F(LoaderTest, EveryFieldTyped) {
  const Job job = load(R"([job]
name = "full.v1"
output = "results/full"

[compute]
batch_size = 128
threads = 4
device = "cuda:2"
unit_size = 1000
max_failed_images = 5
max_image_pixels = 1000000

[[datasets]]
id = "real"
source = "folder"
path = "data/a"
offset = 10
limit = 423

[[datasets]]
id = "blur"
source = "derived"
base = "noisy"          # forward references are fine
distortion = { kind = "gaussian_blur", sigma = 2 }   # an integer is a number

[[datasets]]
id = "noisy"
source = "derived"
base = "real"
seed = 42
[datasets.distortion]
kind = "gaussian_noise"
sigma = 8.5

[[datasets]]
id = "jpeg"
source = "derived"
base = "real"
distortion = { kind = "jpeg", quality = 30 }

[[datasets]]
id = "shift"
source = "derived"
base = "real"
distortion = { kind = "color_shift", shift = [-255, 0, 255] }

[[datasets]]
id = "theirs"
source = "features"
path = "feats.h5:/group/pool3"
backbone = "ext"

[[datasets]]
id = "npy"
source = "features"
path = "feats.npy"
backbone = "ext"

[[datasets]]
id = "store"
source = "features"
path = "feats.h5"
backbone = "ext"

[[backbones]]
id = "rcnn"
kind = "random-cnn"
dim = 256
seed = 9
input_size = 32
width = 8

[[backbones]]
id = "ext"
kind = "external"
dim = 2048

[[backbones]]
id = "inc"
kind = "fid-inception"
weights = "weights/inception.pth"
sha256 = "D1498881EBE037A1592AE967152A7B2C511CB97CE18FAE02372B42C790ECAFED"
layer = "logits_unbiased"
resize = "tf1-bilinear"

[[backbones]]
id = "ts"
kind = "torchscript"
weights = "weights/inception.pth"
output = "embedding"
dim = 768
input_size = 336
resize = "pil-bicubic"
crop = "center"
input_range = "byte"
mean = [0.48145466, 0.4578275, 0.40821073]
std = [0.26862954, 0.26130258, 0.27577711]
forward_args = [7, 0.5, { return_features = true }]

[[comparisons]]
reference = "real"
evaluated = ["blur", "noisy", "jpeg", "shift"]
backbones = ["inc", "rcnn"]
metrics = ["kid", "fd"]

[[comparisons]]
reference = "theirs"
evaluated = ["npy", "store"]
)");
  EXPECT_EQ(job.name, "full.v1");
  EXPECT_EQ(job.output_dir, root() / "results" / "full");
  EXPECT_EQ(job.compute.batch_size, 128);
  EXPECT_EQ(job.compute.threads, 4);
  EXPECT_EQ(job.compute.device, (Device{DeviceKind::kCuda, 2}));
  EXPECT_EQ(job.compute.device.str(), "cuda:2");
  EXPECT_EQ(job.compute.unit_size, 1000);
  EXPECT_EQ(job.compute.max_failed_images, 5);
  EXPECT_EQ(job.compute.max_image_pixels, 1000000);
  EXPECT_EQ(job.compute.where.line, 5);

  const auto& real = std::get<FolderSource>(find_dataset(job, "real").source);
  EXPECT_EQ(real.offset, 10);
  EXPECT_EQ(real.limit, 423);

  const auto& blur = std::get<DerivedSource>(find_dataset(job, "blur").source);
  EXPECT_EQ(blur.base, "noisy");
  EXPECT_EQ(blur.seed, 0u);
  EXPECT_EQ(distortion_kind(blur.distortion), "gaussian_blur");
  EXPECT_EQ(std::get<GaussianBlur>(blur.distortion).sigma, 2.0);

  const auto& noisy = std::get<DerivedSource>(find_dataset(job, "noisy").source);
  EXPECT_EQ(noisy.seed, 42u);
  EXPECT_EQ(std::get<GaussianNoise>(noisy.distortion).sigma, 8.5);
  EXPECT_EQ(
      std::get<Jpeg>(std::get<DerivedSource>(find_dataset(job, "jpeg").source).distortion).quality,
      30);
  EXPECT_EQ(
      std::get<ColorShift>(std::get<DerivedSource>(find_dataset(job, "shift").source).distortion)
          .shift,
      (std::array<int, 3>{-255, 0, 255}));

  const auto& theirs = std::get<FeaturesSource>(find_dataset(job, "theirs").source);
  EXPECT_EQ(theirs.file, root() / "feats.h5");
  EXPECT_EQ(theirs.format, FeaturesFormat::kHdf5);
  EXPECT_EQ(theirs.hdf5_dataset, "/group/pool3");
  EXPECT_EQ(theirs.backbone, "ext");
  EXPECT_FALSE(find_dataset(job, "theirs").has_images());
  const auto& npy = std::get<FeaturesSource>(find_dataset(job, "npy").source);
  EXPECT_EQ(npy.format, FeaturesFormat::kNpy);
  EXPECT_EQ(npy.hdf5_dataset, "");
  EXPECT_EQ(std::get<FeaturesSource>(find_dataset(job, "store").source).hdf5_dataset, "/features");

  const auto& rcnn = std::get<RandomCnnParams>(find_backbone(job, "rcnn").params);
  EXPECT_EQ(rcnn.dim, 256);
  EXPECT_EQ(rcnn.seed, 9u);
  EXPECT_EQ(rcnn.input_size, 32);
  EXPECT_EQ(rcnn.width, 8);
  EXPECT_EQ(find_backbone(job, "ext").dim(), 2048);
  EXPECT_TRUE(find_backbone(job, "ext").is_external());

  const auto& inc = std::get<FidInceptionParams>(find_backbone(job, "inc").params);
  EXPECT_EQ(inc.weights, root() / "weights" / "inception.pth");
  EXPECT_EQ(inc.sha256, "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed");
  EXPECT_EQ(inc.layer, "logits_unbiased");
  EXPECT_EQ(inc.resize, ResizeFilter::kTf1Bilinear);
  EXPECT_EQ(find_backbone(job, "inc").dim(), 1008);

  const auto& ts = std::get<TorchscriptParams>(find_backbone(job, "ts").params);
  EXPECT_EQ(ts.output, "embedding");
  EXPECT_EQ(ts.dim, 768);
  EXPECT_EQ(ts.input_size, 336);
  EXPECT_EQ(ts.resize, ResizeFilter::kPilBicubic);
  EXPECT_EQ(ts.crop, CropPolicy::kCenter);
  EXPECT_EQ(ts.input_range, InputRange::kByte);
  EXPECT_EQ(ts.mean[0], 0.48145466);
  EXPECT_EQ(ts.std[2], 0.27577711);
  EXPECT_FALSE(ts.sha256.has_value());
  EXPECT_EQ(ts.forward_args,
            (std::vector<ForwardArg>{{"", std::int64_t{7}}, {"", 0.5}, {"return_features", true}}));

  EXPECT_EQ(job.comparisons[0].backbones, (std::vector<std::string>{"inc", "rcnn"}));
  EXPECT_EQ(job.comparisons[0].metrics, (std::vector<std::string>{"kid", "fd"}));
  // Features datasets take only their external backbone.
  EXPECT_EQ(job.comparisons[1].backbones, std::vector<std::string>{"ext"});
}

TEST_F(LoaderTest, CorruptionDistortion) {
  const Job job = load(
      minimal_plus("[[datasets]]\nid = \"mb\"\nsource = \"derived\"\nbase = \"eval\"\n"
                   "distortion = { kind = \"corruption\", name = \"motion_blur\", severity = 3, "
                   "parameters = \"cifar\" }\n"
                   "[[datasets]]\nid = \"ref\"\nsource = \"derived\"\nbase = \"eval\"\n"
                   "distortion = { kind = \"corruption\", name = \"fog\", severity = 5, "
                   "parameters = \"imagenet\", seeding = \"reference\" }\n"));
  const auto& mb = std::get<Corruption>(std::get<DerivedSource>(job.datasets[2].source).distortion);
  EXPECT_EQ(mb.name, "motion_blur");
  EXPECT_EQ(mb.severity, 3);
  EXPECT_EQ(mb.parameters, Corruption::Parameters::kCifar);
  EXPECT_EQ(mb.seeding, Corruption::Seeding::kPerImage);
  const auto& ref =
      std::get<Corruption>(std::get<DerivedSource>(job.datasets[3].source).distortion);
  EXPECT_EQ(ref.name, "fog");
  EXPECT_EQ(ref.severity, 5);
  EXPECT_EQ(ref.parameters, Corruption::Parameters::kImagenet);
  EXPECT_EQ(ref.seeding, Corruption::Seeding::kReference);
  // The canonical text spells out every key, the default seeding included.
  const std::string canonical = canonical_form(job);
  EXPECT_NE(canonical.find("distortion = { kind = \"corruption\", name = \"motion_blur\", "
                           "severity = 3, parameters = \"cifar\", seeding = \"per-image\" }"),
            std::string::npos)
      << canonical;
}

TEST_F(LoaderTest, DefaultBackbonesAreTheApplicableOnesInJobOrder) {
  const Job job = load(minimal_plus(R"([[backbones]]
id = "ext"
kind = "external"

[[backbones]]
id = "rcnn"
kind = "random-cnn"
)"));
  EXPECT_EQ(job.comparisons[0].backbones, (std::vector<std::string>{"pix", "rcnn"}));
}

TEST_F(LoaderTest, PresetsAndOverrides) {
  const Job job = load(minimal_plus(R"([[backbones]]
id = "p16"
preset = "pix-16"

[[backbones]]
id = "p64"
preset = "pix-16"
size = 64             # overrides the preset's 16

[[backbones]]
id = "r"
preset = "rcnn-small"
kind = "random-cnn"   # repeating the preset's kind is allowed
seed = 11

[[backbones]]
id = "inc"
preset = "inception"  # its weights path resolves against the presets file's folder
)"));
  const auto& p16 = find_backbone(job, "p16");
  EXPECT_EQ(p16.preset, "pix-16");
  EXPECT_EQ(std::get<PixelsParams>(p16.params).size, 16);
  EXPECT_EQ(p16.where.line, 23);
  EXPECT_EQ(std::get<PixelsParams>(find_backbone(job, "p64").params).size, 64);
  const auto& r = std::get<RandomCnnParams>(find_backbone(job, "r").params);
  EXPECT_EQ(r.dim, 64);
  EXPECT_EQ(r.seed, 11u);
  EXPECT_EQ(r.input_size, 64);  // the struct's default: neither preset nor job sets it
  const auto& inc = std::get<FidInceptionParams>(find_backbone(job, "inc").params);
  EXPECT_EQ(inc.weights, root() / "weights" / "inception.pth");
}

TEST_F(LoaderTest, PresetsDirectoryFromTheJobWins) {
  fs::create_directories(root() / "mine");
  ::gensweep::testing::write_text(root() / "mine" / "backbones.toml",
                                  "[presets.tiny]\nkind = \"pixels\"\nsize = 4\n");
  // [job] ends at the first blank line.
  const std::string text = minimal_plus("[[backbones]]\nid = \"t4\"\npreset = \"tiny\"\n");
  const std::size_t end_of_job = text.find("\n\n");
  const Job job = load(std::string(text).insert(end_of_job, "\npresets = \"mine\""));
  EXPECT_EQ(job.presets_file, root() / "mine" / "backbones.toml");
  EXPECT_EQ(std::get<PixelsParams>(find_backbone(job, "t4").params).size, 4);

  // A presets path may also name the file itself.
  const Job direct =
      load(std::string(text).insert(end_of_job, "\npresets = \"mine/backbones.toml\""));
  EXPECT_EQ(direct.presets_file, root() / "mine" / "backbones.toml");
}

TEST_F(LoaderTest, RelativePathsResolveAgainstTheJobFileNotTheWorkingDirectory) {
  fs::create_directories(root() / "jobs");
  std::string text(kMinimalJob);
  for (auto [from, to] :
       {std::pair{"\"data/a\"", "\"../data/a\""}, {"\"data/b\"", "\"../data/b\""}})
    text.replace(text.find(from), std::string(from).size(), to);
  ::gensweep::testing::write_text(root() / "jobs" / "job.toml", text);
  struct RestoreCwd {
    fs::path saved = fs::current_path();
    ~RestoreCwd() { fs::current_path(saved); }
  } restore;
  fs::current_path("/");
  const Job job = load_job(root() / "jobs" / "job.toml", options_);
  EXPECT_EQ(std::get<FolderSource>(job.datasets[0].source).path, root() / "data" / "a");
  EXPECT_EQ(job.output_dir, root() / "jobs" / "out");
}

TEST_F(LoaderTest, AbsolutePathsStayAsTheyAre) {
  std::string text(kMinimalJob);
  text.replace(text.find("\"data/a\""), 8, "\"" + abs("data/a") + "\"");
  const Job job = load(text);
  EXPECT_EQ(std::get<FolderSource>(job.datasets[0].source).path, root() / "data" / "a");
}

// [report] sets what the run writes for people; it changes no number, so not the config hash.
TEST_F(LoaderTest, ReportTableSetsContactSheetsAndLeavesTheHashAlone) {
  const Job job = load(minimal_plus("[report]\ncontact_sheet_images = 9\n"));
  EXPECT_EQ(job.report.contact_sheet_images, 9);
  EXPECT_EQ(job.report.where.line, 23);
  EXPECT_EQ(config_hash(job), config_hash(load(kMinimalJob)));
}

TEST_F(LoaderTest, Devices) {
  for (auto [text, device] : {std::pair{"cpu", Device{DeviceKind::kCpu, -1}},
                              {"auto", Device{DeviceKind::kAuto, -1}},
                              {"cuda", Device{DeviceKind::kCuda, -1}},
                              {"cuda:0", Device{DeviceKind::kCuda, 0}},
                              {"cuda:1023", Device{DeviceKind::kCuda, 1023}}}) {
    const Job job = load(minimal_plus(fmt::format("[compute]\ndevice = \"{}\"\n", text)));
    EXPECT_EQ(job.compute.device, device) << text;
    EXPECT_EQ(job.compute.device.str(), text);
  }
}

TEST_F(LoaderTest, CheckPathsOffAcceptsMissingFiles) {
  options_.check_paths = false;
  const Job job = load(minimal_plus(R"([[datasets]]
id = "gone"
source = "folder"
path = "no/such/folder"

[[backbones]]
id = "inc"
kind = "fid-inception"
weights = "no/such/weights.pth"
)"));
  EXPECT_EQ(std::get<FolderSource>(find_dataset(job, "gone").source).path,
            root() / "no" / "such" / "folder");
}

TEST_F(LoaderTest, ParseJobFromTextsMatchesLoadJob) {
  const std::string text = minimal_plus("[[backbones]]\nid = \"p16\"\npreset = \"pix-16\"\n");
  const Job loaded = load(text);
  const JobTexts texts = read_job_texts(job_file(), options_);
  EXPECT_EQ(texts.job_text, text);
  EXPECT_EQ(texts.presets_file, presets_file());
  EXPECT_EQ(texts.presets_text, std::string(kTestPresets));
  LoadOptions other_rank = options_;
  other_rank.check_paths = false;
  other_rank.presets_dir.clear();  // the texts are all a rank needs
  const Job parsed =
      parse_job(texts.job_text, job_file(), texts.presets_text, texts.presets_file, other_rank);
  EXPECT_EQ(std::get<PixelsParams>(find_backbone(parsed, "p16").params).size, 16);
  EXPECT_EQ(parsed.output_dir, loaded.output_dir);
  EXPECT_EQ(parsed.comparisons[0].backbones, loaded.comparisons[0].backbones);
}

TEST_F(LoaderTest, NoPresetsNeededNoPresetsRead) {
  // A broken presets file does not matter to a job that names no preset.
  ::gensweep::testing::write_text(presets_file(), "this is not TOML");
  EXPECT_NO_THROW(load(kMinimalJob));
  options_.presets_dir.clear();
  EXPECT_NO_THROW(load(kMinimalJob));
}

TEST_F(LoaderTest, ListPresetsInFileOrder) {
  EXPECT_EQ(list_presets(kTestPresets, presets_file()),
            (std::vector<std::string>{"pix-16", "rcnn-small", "inception"}));
  EXPECT_TRUE(list_presets("", presets_file()).empty());
}

TEST_F(LoaderTest, BackboneKindsTableFollowsTheVariant) {
  const auto kinds = backbone_kinds();
  ASSERT_EQ(kinds.size(), std::variant_size_v<BackboneParams>);
  EXPECT_EQ(kinds[0].name, PixelsParams::kKind);
  EXPECT_EQ(kinds[1].name, RandomCnnParams::kKind);
  EXPECT_EQ(kinds[2].name, ExternalParams::kKind);
  EXPECT_EQ(kinds[3].name, FidInceptionParams::kKind);
  EXPECT_EQ(kinds[4].name, TorchscriptParams::kKind);
  for (const auto& kind : kinds) {
    EXPECT_TRUE(is_valid_name(kind.name)) << kind.name;
    EXPECT_FALSE(kind.description.empty());
  }
}

TEST_F(LoaderTest, FidInceptionDims) {
  FidInceptionParams p;
  for (auto [layer, dim] : {std::pair{"64", 64},
                            {"192", 192},
                            {"768", 768},
                            {"2048", 2048},
                            {"logits", 1008},
                            {"logits_unbiased", 1008}}) {
    p.layer = layer;
    EXPECT_EQ(p.dim(), dim) << layer;
  }
}

TEST(BackboneAppliesTest, ImagesTakeNetworksFeaturesTakeTheirExternalBackbone) {
  const DatasetConfig images{"real", FolderSource{}, {}, {}};
  FeaturesSource features_source;
  features_source.backbone = "ext";
  const DatasetConfig features{"f", features_source, {}, {}};
  const BackboneConfig pix{"pix", "", PixelsParams{}, {}};
  const BackboneConfig ext{"ext", "", ExternalParams{}, {}};
  const BackboneConfig ext2{"ext2", "", ExternalParams{}, {}};
  EXPECT_TRUE(backbone_applies(images, pix));
  EXPECT_FALSE(backbone_applies(images, ext));
  EXPECT_TRUE(backbone_applies(features, ext));
  EXPECT_FALSE(backbone_applies(features, ext2));
  EXPECT_FALSE(backbone_applies(features, pix));
}

}  // namespace
}  // namespace gensweep::config::testing
