// The canonical form: exact text, a valid job file that reads back to itself, the same for every
// spelling of one job, and a hash that moves with every field that changes what runs.

#include <fmt/format.h>

#include <set>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"
#include "gensweep/core/sha256.h"

namespace gensweep::config::testing {
namespace {

using CanonicalTest = ConfigTest;

// A job using every section, source, distortion and backbone kind, presets included.
constexpr std::string_view kRichJob = R"([job]
name = "rich"
output = "out/rich"

[compute]
batch_size = 32
device = "auto"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"
limit = 100

[[datasets]]
id = "eval"
source = "folder"
path = "data/b"
offset = 5

[[datasets]]
id = "blur"
source = "derived"
base = "eval"
distortion = { kind = "gaussian_blur", sigma = 1.5 }

[[datasets]]
id = "noise"
source = "derived"
base = "blur"
seed = 3
distortion = { kind = "gaussian_noise", sigma = 8 }

[[datasets]]
id = "jpeg"
source = "derived"
base = "eval"
distortion = { kind = "jpeg", quality = 10 }

[[datasets]]
id = "shift"
source = "derived"
base = "eval"
distortion = { kind = "color_shift", shift = [10, -20, 30] }

[[datasets]]
id = "theirs"
source = "features"
path = "feats.h5:/x/y"
backbone = "ext"

[[datasets]]
id = "mine"
source = "features"
path = "feats.npy"
backbone = "ext"

[[backbones]]
id = "pix"
preset = "pix-16"

[[backbones]]
id = "rcnn"
preset = "rcnn-small"
width = 16

[[backbones]]
id = "ext"
kind = "external"

[[backbones]]
id = "inc"
preset = "inception"
sha256 = "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed"

[[backbones]]
id = "ts"
kind = "torchscript"
weights = "weights/inception.pth"
mean = [0.5, 0.5, 0.5]

[[comparisons]]
reference = "real"
evaluated = ["eval", "blur", "noise", "jpeg", "shift"]
metrics = ["fd", "kid"]

[[comparisons]]
reference = "theirs"
evaluated = ["mine"]
)";

TEST_F(CanonicalTest, ExactText) {
  const Job job = load(kMinimalJob);
  const std::string expected = fmt::format(
      R"(# gensweep canonical job, format 1: presets applied, defaults filled, paths absolute

[job]
name = "t"
output = "{0}/out"

[compute]
batch_size = 64
threads = 0
thread_layout = "deterministic"
device = "cpu"
unit_size = 256
max_failed_images = 0
max_image_pixels = 178956970

[[datasets]]
id = "real"
source = "folder"
path = "{0}/data/a"
offset = 0

[[datasets]]
id = "eval"
source = "folder"
path = "{0}/data/b"
offset = 0

[[backbones]]
id = "pix"
kind = "pixels"
size = 32

[[comparisons]]
reference = "real"
evaluated = ["eval"]
backbones = ["pix"]
metrics = ["fd"]
)",
      root().string());
  EXPECT_EQ(canonical_form(job), expected);
  EXPECT_EQ(config_hash(job), sha256_hex(expected));
  EXPECT_EQ(config_hash(job).size(), 64u);
}

TEST_F(CanonicalTest, EveryKindWrittenOut) {
  const std::string text = canonical_form(load(kRichJob));
  const std::string r = root().string();
  for (const std::string& line : {
           fmt::format("path = \"{}/data/a\"\noffset = 0\nlimit = 100\n", r),
           std::string("distortion = { kind = \"gaussian_blur\", sigma = 1.5 }\nseed = 0\n"),
           std::string("distortion = { kind = \"gaussian_noise\", sigma = 8.0 }\nseed = 3\n"),
           std::string("distortion = { kind = \"jpeg\", quality = 10 }\n"),
           std::string("distortion = { kind = \"color_shift\", shift = [10, -20, 30] }\n"),
           fmt::format("source = \"features\"\npath = \"{}/feats.h5:/x/y\"\nbackbone = \"ext\"\n",
                       r),
           fmt::format("path = \"{}/feats.npy\"\nbackbone = \"ext\"\n", r),
           std::string("id = \"pix\"\nkind = \"pixels\"\nsize = 16\n"),
           std::string("kind = \"random-cnn\"\ndim = 64\nseed = 7\ninput_size = 64\nwidth = 16\n"),
           std::string("id = \"ext\"\nkind = \"external\"\n\n"),
           fmt::format(
               "kind = \"fid-inception\"\nweights = \"{}/weights/inception.pth\"\n"
               "sha256 = \"d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed\"\n"
               "layer = \"2048\"\nresize = \"pytorch-bilinear\"\n",
               r),
           fmt::format(
               "kind = \"torchscript\"\nweights = \"{}/weights/inception.pth\"\n"
               "output = \"\"\ninput_size = 224\nresize = \"pil-bicubic\"\ncrop = \"none\"\n"
               "input_range = \"unit\"\nmean = [0.5, 0.5, 0.5]\nstd = [1.0, 1.0, 1.0]\n"
               "forward_args = []\n",
               r),
           std::string(
               "evaluated = [\"eval\", \"blur\", \"noise\", \"jpeg\", \"shift\"]\n"
               "backbones = [\"pix\", \"rcnn\", \"inc\", \"ts\"]\nmetrics = [\"fd\", \"kid\"]\n"),
           std::string("reference = \"theirs\"\nevaluated = [\"mine\"]\nbackbones = [\"ext\"]\n"),
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing:\n" << line << "\nin:\n" << text;
  }
  // Presets are applied, not named.
  EXPECT_EQ(text.find("preset ="), std::string::npos);
}

TEST_F(CanonicalTest, ReadsBackToItself) {
  const Job job = load(kRichJob);
  const std::string first = canonical_form(job);
  // Somewhere else entirely: every path in the canonical form is absolute, and it needs no presets.
  fs::create_directories(root() / "elsewhere" / "deeper");
  const fs::path copy = root() / "elsewhere" / "deeper" / "canonical.toml";
  ::gensweep::testing::write_text(copy, first);
  LoadOptions no_presets = options_;
  no_presets.presets_dir.clear();
  const Job again = load_job(copy, no_presets);
  EXPECT_EQ(canonical_form(again), first);
  EXPECT_EQ(config_hash(again), config_hash(job));
}

TEST_F(CanonicalTest, ForwardArgsReadBack) {
  const Job job = load(minimal_plus(
      "[[backbones]]\nid = \"ts\"\nkind = \"torchscript\"\nweights = \"weights/inception.pth\"\n"
      "forward_args = [7, 0.5, false, { return_features = true }, { \"scale\" = 2.0 }]\n"));
  const std::string text = canonical_form(job);
  EXPECT_NE(text.find("forward_args = [7, 0.5, false, { return_features = true }, "
                      "{ scale = 2.0 }]\n"),
            std::string::npos)
      << text;
  const fs::path copy = root() / "canonical-args.toml";
  ::gensweep::testing::write_text(copy, text);
  EXPECT_EQ(canonical_form(load_job(copy, options_)), text);
}

TEST_F(CanonicalTest, StableAcrossSpellings) {
  const std::string terse = minimal_plus(R"([[datasets]]
id = "blur"
source = "derived"
base = "eval"
distortion = { kind = "gaussian_blur", sigma = 2 }

[[backbones]]
id = "p16"
preset = "pix-16"
)");
  // The same job: keys reordered, comments, defaults written out, dotted and sub-table syntax,
  // 2.0 for 2, the preset replaced by its parameters, the default backbone list spelt out.
  const std::string verbose = R"(# the same job, spelt differently
[compute]
max_image_pixels = 178956970
device = "cpu"
batch_size = 64      # default
threads = 0
unit_size = 256
max_failed_images = 0

[job]
output = "./out/../out"
name = "t"

[[datasets]]
source = "folder"
id = "real"
path = "data/./a"
offset = 0

[[datasets]]
path = "data/b/"
source = "folder"
id = "eval"

[[datasets]]
id = "blur"
base = "eval"
source = "derived"
seed = 0
distortion.kind = "gaussian_blur"
distortion.sigma = 2.0

[[backbones]]
kind = "pixels"
id = "pix"
size = 32

[[backbones]]
id = "p16"
kind = "pixels"
size = 16

[[comparisons]]
metrics = ["fd"]
backbones = ["pix", "p16"]
evaluated = ["eval"]
reference = "real"
)";
  const Job a = load(terse);
  const Job b = load(verbose);
  EXPECT_EQ(canonical_form(a), canonical_form(b));
  EXPECT_EQ(config_hash(a), config_hash(b));
}

TEST_F(CanonicalTest, HashMovesWithEveryRelevantField) {
  const std::string base = std::string(kRichJob);
  const Job base_job = load(base);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"name = \"rich\"", "name = \"rich2\""},
      {"output = \"out/rich\"", "output = \"out/other\""},
      {"batch_size = 32", "batch_size = 33"},
      {"device = \"auto\"", "device = \"cuda:1\""},
      {"[compute]\n", "[compute]\nthreads = 2\n"},
      {"[compute]\n", "[compute]\nunit_size = 512\n"},
      {"[compute]\n", "[compute]\nmax_failed_images = 3\n"},
      {"[compute]\n", "[compute]\nmax_image_pixels = 1000\n"},
      {"path = \"data/a\"", "path = \"data/b\""},
      {"limit = 100", "limit = 101"},
      {"offset = 5", "offset = 6"},
      {"sigma = 1.5", "sigma = 1.25"},
      {"seed = 3", "seed = 4"},
      {"quality = 10", "quality = 11"},
      {"shift = [10, -20, 30]", "shift = [10, -20, 31]"},
      {"\"gaussian_blur\", sigma = 1.5", "\"gaussian_noise\", sigma = 1.5"},
      {"base = \"blur\"", "base = \"eval\""},
      {"path = \"feats.h5:/x/y\"", "path = \"feats.h5:/x/z\""},
      {"width = 16", "width = 17"},
      {"preset = \"pix-16\"", "preset = \"pix-16\"\nsize = 17"},
      {"kind = \"external\"", "kind = \"external\"\ndim = 2048"},
      {"sha256 = \"d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed\"", ""},
      {"preset = \"inception\"", "preset = \"inception\"\nlayer = \"768\""},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.25]"},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.5]\ncrop = \"center\""},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.5]\ncrop = \"shorter-side\""},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.5]\nresize = \"pil-bicubic-u8\""},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.5]\nforward_args = [true]"},
      {"mean = [0.5, 0.5, 0.5]", "mean = [0.5, 0.5, 0.5]\nforward_args = [{ flag = true }]"},
      {"evaluated = [\"eval\", \"blur\"", "evaluated = [\"blur\", \"eval\""},
      {"metrics = [\"fd\", \"kid\"]", "metrics = [\"fd\"]"},
      {"metrics = [\"fd\", \"kid\"]", "metrics = [\"fd\", \"kid\"]\nbackbones = [\"pix\"]"},
      {"id = \"mine\"", "id = \"mine2\""},
  };
  std::set<std::string> hashes = {config_hash(base_job)};
  for (const auto& [from, to] : edits) {
    std::string text = base;
    const std::size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    if (from == "id = \"mine\"") text.replace(text.find("[\"mine\"]"), 8, "[\"mine2\"]");
    const std::string hash = config_hash(load(text));
    EXPECT_TRUE(hashes.insert(hash).second) << "hash did not change for: " << from << " -> " << to;
  }
}

TEST_F(CanonicalTest, SourceLocationsAndPresetNamesDoNotCount) {
  const Job a = load(minimal_plus("[[backbones]]\nid = \"p16\"\npreset = \"pix-16\"\n"));
  const Job b = load("\n\n# moved down\n" +
                     minimal_plus("[[backbones]]\nid = \"p16\"\nkind = \"pixels\"\nsize = 16\n"));
  EXPECT_NE(a.datasets[0].where.line, b.datasets[0].where.line);
  EXPECT_EQ(config_hash(a), config_hash(b));
}

// directions = "one" is the default: jobs written before the key existed keep their hash, and
// saying "one" changes nothing; "both" (and its rarest_fraction) does.
TEST_F(CanonicalTest, DirectionsOneKeepsTheHashBothMovesIt) {
  const Job absent = load(minimal_plus(""));
  const Job one = load(minimal_plus("directions = \"one\"\n"));
  const Job both = load(minimal_plus("directions = \"both\"\n"));
  const Job both_fraction = load(minimal_plus("directions = \"both\"\nrarest_fraction = 0.25\n"));
  EXPECT_EQ(canonical_form(absent), canonical_form(one));
  EXPECT_EQ(canonical_form(absent).find("directions"), std::string::npos);
  EXPECT_NE(config_hash(absent), config_hash(both));
  EXPECT_NE(config_hash(both), config_hash(both_fraction));
  EXPECT_NE(canonical_form(both_fraction).find("directions = \"both\"\nrarest_fraction = 0.25\n"),
            std::string::npos)
      << canonical_form(both_fraction);
}

}  // namespace
}  // namespace gensweep::config::testing
