// Every ConfigError the loader raises, message by message (exact text): syntax, unknown keys,
// types, missing keys, bounds, duplicates, references, cycles, paths, names, presets.

#include <fmt/format.h>

#include "config_fixture.h"
#include "gensweep/config/presets.h"

namespace gensweep::config::testing {
namespace {

using ErrorsTest = ConfigTest;

// ---- TOML syntax ----------------------------------------------------------------------------

TEST_F(ErrorsTest, TomlSyntaxError) {
  EXPECT_EQ(
      error_of("[job]\nname = \n"),
      at(2, 8, "TOML syntax error: Error while parsing key-value pair: expected value, saw '\\n'"));
}

TEST_F(ErrorsTest, TomlRedefinedKeyIsASyntaxError) {
  EXPECT_EQ(error_of("[job]\nname = \"a\"\nname = \"b\"\n"),
            at(3, 8,
               "TOML syntax error: Error while parsing key-value pair: cannot redefine "
               "existing string 'name'"));
}

TEST_F(ErrorsTest, TomlSyntaxErrorInPresetsPointsIntoThePresetsFile) {
  ::gensweep::testing::write_text(presets_file(), "[presets.a]\nkind = = 1\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(2, 8,
                       "TOML syntax error: Error while parsing value: could not determine "
                       "value type"));
}

// ---- unknown keys ---------------------------------------------------------------------------

TEST_F(ErrorsTest, UnknownTopLevelKeySuggestsTheClosest) {
  EXPECT_EQ(error_of(minimal_plus("[comput]\nthreads = 2\n")),
            at(23, 2, "comput: unknown key (did you mean \"compute\"?)"));
}

TEST_F(ErrorsTest, UnknownKeyListsTheKnownOnesWhenNoneIsClose) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nturbo = true\n")),
            at(24, 1,
               "compute.turbo: unknown key (known keys: batch_size, threads, thread_layout, "
               "device, unit_size, max_failed_images, max_image_pixels)"));
}

TEST_F(ErrorsTest, UnknownKeyWithATransposition) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nbatch_szie = 2\n")),
            at(24, 1, "compute.batch_szie: unknown key (did you mean \"batch_size\"?)"));
}

TEST_F(ErrorsTest, UnknownKeyDependsOnTheDatasetSource) {
  EXPECT_EQ(error_of(R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"
base = "x"
)"),
            at(9, 1,
               "datasets[0].base: unknown key for source \"folder\" (known keys: id, source, "
               "path, offset, limit)"));
}

TEST_F(ErrorsTest, MisspeltDiscriminatorIsReportedAsUnknownKey) {
  EXPECT_EQ(error_of(R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
sourc = "folder"
path = "data/a"
)"),
            at(7, 1, "datasets[0].sourc: unknown key (did you mean \"source\"?)"));
}

TEST_F(ErrorsTest, UnknownKeyInADistortion) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"n\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = { kind = \"gaussian_noise\", sigma = 8, seed = 3 }\n")),
      at(27, 52, "datasets[2].distortion.seed: unknown key (known keys: kind, sigma)"));
}

TEST_F(ErrorsTest, UnknownKeyForTheDistortionKind) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"j\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = { kind = \"jpeg\", sigma = 8 }\n")),
      at(27, 31,
         "datasets[2].distortion.sigma: unknown key for distortion kind \"jpeg\" "
         "(known keys: kind, quality)"));
}

TEST_F(ErrorsTest, UnknownKeyForTheBackboneKind) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p2\"\nkind = \"pixels\"\ndim = 3\n")),
            at(26, 1,
               "backbones[1].dim: unknown key for kind \"pixels\" (known keys: id, preset, "
               "kind, size)"));
}

TEST_F(ErrorsTest, UnknownKeyInAPresetPointsIntoThePresetsFile) {
  ::gensweep::testing::write_text(presets_file(), "[presets.a]\nkind = \"pixels\"\nsise = 8\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(3, 1, "presets.a.sise: unknown key (did you mean \"size\"?)"));
}

TEST_F(ErrorsTest, PresetCannotSetAnId) {
  ::gensweep::testing::write_text(presets_file(), "[presets.a]\nkind = \"pixels\"\nid = \"x\"\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(3, 1, "presets.a.id: not allowed in a preset (known keys: kind, size)"));
}

TEST_F(ErrorsTest, UnknownKeyInPresetsFileRoot) {
  ::gensweep::testing::write_text(presets_file(), "[preset.a]\nkind = \"pixels\"\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(1, 2, "preset: unknown key (did you mean \"presets\"?)"));
}

// ---- wrong types ----------------------------------------------------------------------------

TEST_F(ErrorsTest, ExpectedAnIntegerGotString) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nbatch_size = \"64\"\n")),
            at(24, 14, "compute.batch_size: expected an integer, got string"));
}

TEST_F(ErrorsTest, ExpectedAnIntegerGotFloat) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nbatch_size = 64.0\n")),
            at(24, 14, "compute.batch_size: expected an integer, got float"));
}

TEST_F(ErrorsTest, ExpectedAStringGotInteger) {
  EXPECT_EQ(error_of("[job]\nname = 3\n"), at(2, 8, "job.name: expected a string, got integer"));
}

TEST_F(ErrorsTest, ExpectedANumberGotString) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = { kind = \"gaussian_blur\", sigma = \"2\" }\n")),
      at(27, 48, "datasets[2].distortion.sigma: expected a number, got string"));
}

TEST_F(ErrorsTest, ExpectedATableGotString) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = \"blur\"\n")),
      at(27, 14, "datasets[2].distortion: expected a table, got string"));
}

TEST_F(ErrorsTest, ExpectedAnArrayOfTablesGotTable) {
  EXPECT_EQ(error_of("[job]\nname = \"t\"\noutput = \"out\"\n\n[datasets]\nid = \"a\"\n"),
            at(5, 1, "datasets: expected an array of tables, got table"));
}

TEST_F(ErrorsTest, ExpectedATableGotIntegerInsideAnArrayOfTables) {
  EXPECT_EQ(error_of("datasets = [1]\n[job]\nname = \"t\"\noutput = \"out\"\n"),
            at(1, 13, "datasets[0]: expected a table, got integer"));
}

TEST_F(ErrorsTest, ExpectedAnArrayGotString) {
  EXPECT_EQ(error_of(std::string(kMinimalJob)
                         .replace(std::string(kMinimalJob).find("[\"eval\"]"), 8, "\"eval\"")),
            at(21, 13, "comparisons[0].evaluated: expected an array, got string"));
}

TEST_F(ErrorsTest, ExpectedATableGotDate) {
  EXPECT_EQ(error_of("job = 2024-01-01\n"), at(1, 7, "job: expected a table, got date"));
}

// ---- missing keys ---------------------------------------------------------------------------

TEST_F(ErrorsTest, MissingJobTable) {
  EXPECT_EQ(error_of("[compute]\nthreads = 1\n"), at(1, 1, "missing required table [job]"));
}

TEST_F(ErrorsTest, MissingJobName) {
  EXPECT_EQ(error_of("\n[job]\noutput = \"out\"\n"),
            at(2, 1, "job: missing required key \"name\""));
}

TEST_F(ErrorsTest, MissingDatasets) {
  EXPECT_EQ(error_of("[job]\nname = \"t\"\noutput = \"out\"\n"),
            at(1, 1, "missing required array of tables [[datasets]]"));
}

TEST_F(ErrorsTest, EmptyDatasetsArray) {
  EXPECT_EQ(error_of("datasets = []\n[job]\nname = \"t\"\noutput = \"out\"\n"),
            at(1, 12, "datasets: expected at least one [[datasets]] table"));
}

TEST_F(ErrorsTest, MissingComparisons) {
  std::string text(kMinimalJob);
  text.resize(text.find("[[comparisons]]"));
  EXPECT_EQ(error_of(text), at(1, 1, "missing required array of tables [[comparisons]]"));
}

TEST_F(ErrorsTest, MissingRequiredKeyOfADataset) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"folder\"\n")),
            at(23, 1, "datasets[2]: missing required key \"path\""));
}

TEST_F(ErrorsTest, MissingBackboneKind) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nsize = 8\n")),
            at(23, 1, "backbones[1]: missing required key \"kind\""));
}

TEST_F(ErrorsTest, MissingKeyOfAnInlineTable) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = { kind = \"gaussian_blur\" }\n")),
      at(27, 14, "datasets[2].distortion: missing required key \"sigma\""));
}

TEST_F(ErrorsTest, MissingWeights) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n")),
            at(23, 1, "backbones[1]: missing required key \"weights\""));
}

// ---- bounds and choices ---------------------------------------------------------------------

TEST_F(ErrorsTest, IntegerOutOfBounds) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nbatch_size = 0\n")),
            at(24, 14, "compute.batch_size: expected an integer in 1..65536, got 0"));
  EXPECT_EQ(error_of(minimal_plus("[compute]\nthreads = 5000\n")),
            at(24, 11, "compute.threads: expected an integer in 0..1024, got 5000"));
  EXPECT_EQ(error_of(minimal_plus("[compute]\nunit_size = 1048577\n")),
            at(24, 13, "compute.unit_size: expected an integer in 1..1048576, got 1048577"));
  EXPECT_EQ(error_of(minimal_plus("[compute]\nmax_image_pixels = 0\n")),
            at(24, 20, "compute.max_image_pixels: expected an integer >= 1, got 0"));
}

TEST_F(ErrorsTest, ReportContactSheetImages) {
  EXPECT_EQ(error_of(minimal_plus("[report]\ncontact_sheet_images = 0\n")),
            at(24, 24, "report.contact_sheet_images: expected an integer in 1..1024, got 0"));
  EXPECT_EQ(error_of(minimal_plus("[report]\ncontact_sheet_images = \"16\"\n")),
            at(24, 24, "report.contact_sheet_images: expected an integer, got string"));
  EXPECT_EQ(error_of(minimal_plus("[report]\ncontact_sheets = 4\n")),
            at(24, 1, "report.contact_sheets: unknown key (known keys: contact_sheet_images)"));
}

TEST_F(ErrorsTest, IntegerBelowLowerBound) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\nmax_failed_images = -1\n")),
            at(24, 21, "compute.max_failed_images: expected an integer >= 0, got -1"));
}

TEST_F(ErrorsTest, OffsetAndLimitBounds) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"folder\"\npath = \"data/a\"\n"
                            "offset = -3\n")),
      at(27, 10, "datasets[2].offset: expected an integer >= 0, got -3"));
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"folder\"\npath = \"data/a\"\n"
                            "limit = 0\n")),
      at(27, 9, "datasets[2].limit: expected an integer >= 1, got 0"));
}

TEST_F(ErrorsTest, NumberMustBePositiveAndFinite) {
  const std::string head = "[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"gaussian_blur\", sigma = 0 }\n")),
            at(27, 48, "datasets[2].distortion.sigma: expected a number > 0, got 0"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "distortion = { kind = \"gaussian_noise\", sigma = -1.5 }\n")),
      at(27, 49, "datasets[2].distortion.sigma: expected a number > 0, got -1.5"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "distortion = { kind = \"gaussian_blur\", sigma = nan }\n")),
      at(27, 48, "datasets[2].distortion.sigma: expected a number > 0, got nan"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "distortion = { kind = \"gaussian_blur\", sigma = inf }\n")),
      at(27, 48, "datasets[2].distortion.sigma: expected a number > 0, got inf"));
}

TEST_F(ErrorsTest, JpegQualityAndColorShiftBounds) {
  const std::string head = "[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"jpeg\", quality = 101 }\n")),
            at(27, 41, "datasets[2].distortion.quality: expected an integer in 1..100, got 101"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "distortion = { kind = \"color_shift\", shift = [1, 2] }\n")),
      at(27, 46, "datasets[2].distortion.shift: expected 3 integers [r, g, b], got 2 values"));
  EXPECT_EQ(
      error_of(
          minimal_plus(head + "distortion = { kind = \"color_shift\", shift = [1, 300, 2] }\n")),
      at(27, 50, "datasets[2].distortion.shift[1]: expected an integer in -255..255, got 300"));
}

TEST_F(ErrorsTest, CorruptionNameSeverityParametersAndSeeding) {
  const std::string head = "[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"corruption\", name = \"motion\", "
                                         "severity = 3, parameters = \"cifar\" }\n")),
            at(27, 44,
               "datasets[2].distortion.name: unknown corruption \"motion\" (known corruptions: "
               "gaussian_noise, shot_noise, impulse_noise, speckle_noise, gaussian_blur, "
               "glass_blur, defocus_blur, motion_blur, zoom_blur, fog, frost, snow, spatter, "
               "contrast, brightness, saturate, jpeg_compression, pixelate, elastic_transform)"));
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"corruption\", name = \"fog\", "
                                         "severity = 6, parameters = \"cifar\" }\n")),
            at(27, 62, "datasets[2].distortion.severity: expected an integer in 1..5, got 6"));
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"corruption\", name = \"fog\", "
                                         "severity = 1, parameters = \"tiny\" }\n")),
            at(27, 78,
               "datasets[2].distortion.parameters: unknown corruption parameter set \"tiny\" "
               "(known parameter sets: cifar, imagenet)"));
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"corruption\", name = \"fog\", "
                                         "severity = 1 }\n")),
            at(27, 14, "datasets[2].distortion: missing required key \"parameters\""));
  EXPECT_EQ(
      error_of(minimal_plus(head +
                            "distortion = { kind = \"corruption\", name = \"fog\", severity = 1, "
                            "parameters = \"cifar\", seeding = \"numpy\" }\n")),
      at(27, 97,
         "datasets[2].distortion.seeding: unknown corruption seeding \"numpy\" (known seedings: "
         "per-image, reference)"));
  EXPECT_EQ(error_of(minimal_plus(head + "distortion = { kind = \"corruption\", name = \"fog\", "
                                         "severity = 1, parameters = \"cifar\", sigma = 2 }\n")),
            at(27, 87,
               "datasets[2].distortion.sigma: unknown key for distortion kind \"corruption\" "
               "(known keys: kind, name, severity, parameters, seeding)"));
}

TEST_F(ErrorsTest, BackboneParameterBounds) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"pixels\"\nsize = 2000\n")),
            at(26, 8, "backbones[1].size: expected an integer in 1..1024, got 2000"));
  EXPECT_EQ(
      error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"random-cnn\"\ninput_size = 8\n")),
      at(26, 14, "backbones[1].input_size: expected an integer in 16..1024, got 8"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"random-cnn\"\nseed = -1\n")),
            at(26, 8, "backbones[1].seed: expected an integer >= 0, got -1"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"external\"\ndim = 0\n")),
            at(26, 7, "backbones[1].dim: expected an integer in 1..1048576, got 0"));
}

TEST_F(ErrorsTest, TorchscriptMeanAndStd) {
  const std::string head =
      "[[backbones]]\nid = \"ts\"\nkind = \"torchscript\"\nweights = \"weights/inception.pth\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "std = [0.5, 0.0, 0.5]\n")),
            at(27, 13, "backbones[1].std[1]: expected a number > 0, got 0.0"));
  EXPECT_EQ(error_of(minimal_plus(head + "mean = [0.5, 0.5]\n")),
            at(27, 8, "backbones[1].mean: expected 3 numbers [r, g, b], got 2 values"));
  EXPECT_EQ(error_of(minimal_plus(head + "mean = [0.5, -inf, 0.5]\n")),
            at(27, 14, "backbones[1].mean[1]: expected a finite number, got -inf"));
}

TEST_F(ErrorsTest, TorchscriptForwardArgs) {
  const std::string head =
      "[[backbones]]\nid = \"ts\"\nkind = \"torchscript\"\nweights = \"weights/inception.pth\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = true\n")),
            at(27, 16, "backbones[1].forward_args: expected an array, got boolean"));
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = [\"yes\"]\n")),
            at(27, 17,
               "backbones[1].forward_args[0]: expected a boolean, an integer, a float or "
               "{ name = value }, got string"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "forward_args = [{ a = 1, b = 2 }]\n")),
      at(27, 17, "backbones[1].forward_args[0]: expected one { name = value } pair, got 2 keys"));
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = [{ flag = \"x\" }]\n")),
            at(27, 26,
               "backbones[1].forward_args[0].flag: expected a boolean, an integer or a float, "
               "got string"));
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = [{ \"no-dash\" = 1 }]\n")),
            at(27, 17, "backbones[1].forward_args[0]: \"no-dash\" is not a Python argument name"));
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = [nan]\n")),
            at(27, 17, "backbones[1].forward_args[0]: expected a finite number, got nan"));
  EXPECT_EQ(
      error_of(minimal_plus(head + "forward_args = [{ flag = true }, 1]\n")),
      at(27, 34, "backbones[1].forward_args[1]: positional arguments must come before named ones"));
  EXPECT_EQ(error_of(minimal_plus(head + "forward_args = [{ flag = true }, { flag = false }]\n")),
            at(27, 34, "backbones[1].forward_args[1]: argument \"flag\" given twice"));
}

TEST_F(ErrorsTest, TorchscriptResizeNoneAndCrops) {
  const std::string head =
      "[[backbones]]\nid = \"ts\"\nkind = \"torchscript\"\nweights = \"weights/inception.pth\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "crop = \"shorter-side\"\nresize = \"none\"\n")),
            at(27, 8,
               "backbones[1].crop: \"shorter-side\" resizes the image, so it needs a resize "
               "filter, not resize = \"none\""));
  EXPECT_EQ(error_of(minimal_plus(head + "crop = \"square\"\n")),
            at(27, 8,
               "backbones[1].crop: unknown crop policy \"square\" (known crop policies: none, "
               "center, shorter-side)"));
  // fid-inception always resizes to 299 in float: the torchscript-only filters are not offered.
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n"
                                  "weights = \"weights/inception.pth\"\nresize = \"none\"\n")),
            at(27, 10,
               "backbones[1].resize: unknown resize filter \"none\" (known resize "
               "filters: pytorch-bilinear, tf1-bilinear, pil-bicubic, area)"));
}

TEST_F(ErrorsTest, Sha256MustBe64HexDigits) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n"
                                  "weights = \"weights/inception.pth\"\nsha256 = \"d1498881\"\n")),
            at(27, 10, "backbones[1].sha256: expected 64 hexadecimal digits, got \"d1498881\""));
}

TEST_F(ErrorsTest, DeviceSpelling) {
  EXPECT_EQ(error_of(minimal_plus("[compute]\ndevice = \"gpu\"\n")),
            at(24, 10,
               "compute.device: expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\" with N in "
               "0..1023, got \"gpu\""));
  EXPECT_EQ(error_of(minimal_plus("[compute]\ndevice = \"cuda:x\"\n")),
            at(24, 10,
               "compute.device: expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\" with N in "
               "0..1023, got \"cuda:x\""));
  EXPECT_EQ(error_of(minimal_plus("[compute]\ndevice = \"cuda:1024\"\n")),
            at(24, 10,
               "compute.device: expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\" with N in "
               "0..1023, got \"cuda:1024\""));
}

TEST_F(ErrorsTest, ThreadLayoutIsDeterministicOrFast) {
  EXPECT_EQ(load(minimal_plus("")).compute.thread_layout, ThreadLayout::kDeterministic);
  EXPECT_EQ(load(minimal_plus("[compute]\nthread_layout = \"fast\"\n")).compute.thread_layout,
            ThreadLayout::kFast);
  EXPECT_EQ(
      load(minimal_plus("[compute]\nthread_layout = \"deterministic\"\n")).compute.thread_layout,
      ThreadLayout::kDeterministic);
  EXPECT_EQ(error_of(minimal_plus("[compute]\nthread_layout = \"fats\"\n")),
            at(24, 17,
               "compute.thread_layout: unknown thread layout \"fats\" (did you mean "
               "\"fast\"?)"));
  EXPECT_EQ(error_of(minimal_plus("[compute]\nthread_layout = \"parallel\"\n")),
            at(24, 17,
               "compute.thread_layout: unknown thread layout \"parallel\" (known thread "
               "layouts: deterministic, fast)"));
  EXPECT_EQ(error_of(minimal_plus("[compute]\nthread_layout = 1\n")),
            at(24, 17, "compute.thread_layout: expected a string, got integer"));
}

TEST_F(ErrorsTest, UnknownChoices) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"fodler\"\n")),
            at(25, 10, "datasets[2].source: unknown source \"fodler\" (did you mean \"folder\"?)"));
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"archive\"\n")),
            at(25, 10,
               "datasets[2].source: unknown source \"archive\" (known sources: folder, "
               "derived, features, statistics, zip, tar, npz, hdf5, mixture)"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"random_cnn\"\n")),
            at(25, 8,
               "backbones[1].kind: unknown backbone kind \"random_cnn\" (did you mean "
               "\"random-cnn\"?)"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"b\"\nkind = \"clip\"\n")),
            at(25, 8,
               "backbones[1].kind: unknown backbone kind \"clip\" (known backbone kinds: "
               "pixels, random-cnn, external, fid-inception, torchscript)"));
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"eval\"\n"
                            "distortion = { kind = \"blur\", sigma = 1 }\n")),
      at(27, 23,
         "datasets[2].distortion.kind: unknown distortion kind \"blur\" (known "
         "distortion kinds: gaussian_blur, gaussian_noise, jpeg, color_shift, corruption)"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n"
                                  "weights = \"weights/inception.pth\"\nlayer = \"pool3\"\n")),
            at(27, 9,
               "backbones[1].layer: unknown layer \"pool3\" (known layers: 64, 192, 768, "
               "2048, logits, logits_unbiased)"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n"
                                  "weights = \"weights/inception.pth\"\nresize = \"bilinear\"\n")),
            at(27, 10,
               "backbones[1].resize: unknown resize filter \"bilinear\" (known resize "
               "filters: pytorch-bilinear, tf1-bilinear, pil-bicubic, area)"));
}

TEST_F(ErrorsTest, FeaturesPathSpelling) {
  const std::string head = "[[datasets]]\nid = \"f\"\nsource = \"features\"\n";
  const std::string tail = "backbone = \"ext\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"feats.csv\"\n" + tail)),
            at(26, 8,
               "datasets[2].path: expected a .npy file, or an .h5/.hdf5 file with an "
               "optional \":/dataset\" suffix, got \"feats.csv\""));
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"feats.h5:group\"\n" + tail)),
            at(26, 8,
               "datasets[2].path: expected an absolute HDF5 dataset path after ':' "
               "(\"feats.h5:/group/name\"), got \"feats.h5:group\""));
}

// ---- duplicates -----------------------------------------------------------------------------

TEST_F(ErrorsTest, DuplicateDatasetIdNamesTheFirst) {
  EXPECT_EQ(error_of(minimal_plus(
                "[[datasets]]\nid = \"real\"\nsource = \"folder\"\npath = \"data/b\"\n")),
            at(24, 6,
               fmt::format("datasets[2].id: duplicate dataset id \"real\" (first defined at "
                           "{}:6:6)",
                           job_file().string())));
}

TEST_F(ErrorsTest, DuplicateBackboneIdNamesTheFirst) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"pix\"\nkind = \"pixels\"\n")),
            at(24, 6,
               fmt::format("backbones[1].id: duplicate backbone id \"pix\" (first defined at "
                           "{}:16:6)",
                           job_file().string())));
}

TEST_F(ErrorsTest, ListedTwice) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(text + "backbones = [\"pix\", \"pix\"]\n"),
            at(22, 21, "comparisons[0].backbones[1]: backbone \"pix\" is listed twice"));
  EXPECT_EQ(error_of(text + "metrics = [\"fd\", \"kid\", \"fd\"]\n"),
            at(22, 25, "comparisons[0].metrics[2]: metric \"fd\" is listed twice"));
  EXPECT_EQ(error_of(text.replace(text.find("[\"eval\"]"), 8, "[\"eval\", \"eval\"]")),
            at(21, 22, "comparisons[0].evaluated[1]: dataset \"eval\" is listed twice"));
}

// ---- references -----------------------------------------------------------------------------

TEST_F(ErrorsTest, ComparisonNamesUnknownDataset) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(std::string(text).replace(text.find("[\"eval\"]"), 8, "[\"evl\"]")),
            at(21, 14,
               "comparisons[0].evaluated[0]: unknown dataset \"evl\" (did you mean "
               "\"eval\"?)"));
  EXPECT_EQ(error_of(std::string(text).replace(text.find("\"real\"\nev"), 6, "\"model\"")),
            at(20, 13,
               "comparisons[0].reference: unknown dataset \"model\" (known datasets: real, "
               "eval)"));
}

TEST_F(ErrorsTest, ComparisonNamesUnknownBackbone) {
  EXPECT_EQ(error_of(std::string(kMinimalJob) + "backbones = [\"pxi\"]\n"),
            at(22, 14,
               "comparisons[0].backbones[0]: unknown backbone \"pxi\" (did you mean "
               "\"pix\"?)"));
  EXPECT_EQ(error_of(std::string(kMinimalJob) + "backbones = [\"pixels\"]\n"),
            at(22, 14,
               "comparisons[0].backbones[0]: unknown backbone \"pixels\" (known "
               "backbones: pix)"));
}

TEST_F(ErrorsTest, ComparisonNamesUnknownMetric) {
  EXPECT_EQ(error_of(std::string(kMinimalJob) + "metrics = [\"fid\"]\n"),
            at(22, 12, "comparisons[0].metrics[0]: unknown metric \"fid\" (did you mean \"fd\"?)"));
  EXPECT_EQ(error_of(std::string(kMinimalJob) + "metrics = [\"inception_score\"]\n"),
            at(22, 12,
               "comparisons[0].metrics[0]: unknown metric \"inception_score\" (known "
               "metrics: fd, kid, precision)"));
}

TEST_F(ErrorsTest, EvaluatedListsTheReference) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(text.replace(text.find("[\"eval\"]"), 8, "[\"real\"]")),
            at(21, 14, "comparisons[0].evaluated[0]: dataset \"real\" is the reference"));
}

TEST_F(ErrorsTest, EmptyLists) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(std::string(text).replace(text.find("[\"eval\"]"), 8, "[]")),
            at(21, 13, "comparisons[0].evaluated: expected at least one dataset id"));
  EXPECT_EQ(error_of(text + "backbones = []\n"),
            at(22, 13, "comparisons[0].backbones: expected at least one backbone id"));
  EXPECT_EQ(error_of(text + "metrics = []\n"),
            at(22, 11, "comparisons[0].metrics: expected at least one metric name"));
}

TEST_F(ErrorsTest, DerivedBaseUnknown) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"b\"\nsource = \"derived\"\nbase = \"evl\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n")),
            at(26, 8, "datasets[2].base: unknown dataset \"evl\" (did you mean \"eval\"?)"));
}

TEST_F(ErrorsTest, DerivedCycle) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"x\"\nsource = \"derived\"\nbase = \"y\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n\n"
                                  "[[datasets]]\nid = \"y\"\nsource = \"derived\"\nbase = \"x\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n")),
            at(26, 8, "datasets[2].base: derived datasets form a cycle: \"x\" -> \"y\" -> \"x\""));
}

TEST_F(ErrorsTest, DerivedSelfCycle) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"x\"\nsource = \"derived\"\nbase = \"x\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n")),
            at(26, 8, "datasets[2].base: derived datasets form a cycle: \"x\" -> \"x\""));
}

TEST_F(ErrorsTest, CycleBehindAnAcyclicDatasetIsReportedAtItsFirstMember) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"w\"\nsource = \"derived\"\nbase = \"x\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n\n"
                                  "[[datasets]]\nid = \"x\"\nsource = \"derived\"\nbase = \"y\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n\n"
                                  "[[datasets]]\nid = \"y\"\nsource = \"derived\"\nbase = \"x\"\n"
                                  "distortion = { kind = \"jpeg\", quality = 5 }\n")),
            at(32, 8, "datasets[3].base: derived datasets form a cycle: \"x\" -> \"y\" -> \"x\""));
}

TEST_F(ErrorsTest, DerivedFromFeaturesDataset) {
  EXPECT_EQ(error_of(minimal_plus(
                "[[backbones]]\nid = \"ext\"\nkind = \"external\"\n\n"
                "[[datasets]]\nid = \"f\"\nsource = \"features\"\npath = \"feats.npy\"\n"
                "backbone = \"ext\"\n\n"
                "[[datasets]]\nid = \"d\"\nsource = \"derived\"\nbase = \"f\"\n"
                "distortion = { kind = \"jpeg\", quality = 5 }\n")),
            at(36, 8,
               "datasets[3].base: dataset \"f\" is a features dataset; a derived dataset "
               "needs an image dataset as its base"));
}

TEST_F(ErrorsTest, FeaturesDatasetNamesANonExternalBackbone) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"f\"\nsource = \"features\"\n"
                                  "path = \"feats.npy\"\nbackbone = \"pix\"\n")),
            at(27, 12,
               "datasets[2].backbone: backbone \"pix\" has kind \"pixels\"; a features "
               "dataset needs a backbone of kind \"external\""));
}

TEST_F(ErrorsTest, FeaturesDatasetNamesAnUnknownBackbone) {
  EXPECT_EQ(error_of(minimal_plus("[[datasets]]\nid = \"f\"\nsource = \"features\"\n"
                                  "path = \"feats.npy\"\nbackbone = \"inception\"\n")),
            at(27, 12,
               "datasets[2].backbone: unknown backbone \"inception\" (known backbones: "
               "pix)"));
}

TEST_F(ErrorsTest, BackboneDoesNotApplyToADataset) {
  const std::string text = R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"

[[datasets]]
id = "f"
source = "features"
path = "feats.npy"
backbone = "ext"

[[backbones]]
id = "pix"
kind = "pixels"

[[backbones]]
id = "ext"
kind = "external"

[[comparisons]]
reference = "real"
evaluated = ["f"]
)";
  EXPECT_EQ(error_of(text + "backbones = [\"ext\"]\n"),
            at(27, 14,
               "comparisons[0].backbones[0]: backbone \"ext\" does not apply to dataset "
               "\"real\" (an external backbone applies only to features datasets)"));
  EXPECT_EQ(error_of(text + "backbones = [\"pix\"]\n"),
            at(27, 14,
               "comparisons[0].backbones[0]: backbone \"pix\" does not apply to dataset "
               "\"f\" (its features belong to backbone \"ext\")"));
  EXPECT_EQ(error_of(text),
            at(24, 1, "comparisons[0]: no backbone applies to every dataset of this comparison"));
}

TEST_F(ErrorsTest, StatisticsDatasetKeysAreChecked) {
  // feats.npy stands in for the statistics file: its content is read by the run, not the loader.
  const std::string head = "[[datasets]]\nid = \"s\"\nsource = \"statistics\"\n";
  EXPECT_EQ(
      error_of(minimal_plus(head + "path = \"feats.npy\"\nbackbone = \"inception\"\n")),
      at(27, 12, "datasets[2].backbone: unknown backbone \"inception\" (known backbones: pix)"));
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"feats.npy\"\n")),
            at(23, 1, "datasets[2]: missing required key \"backbone\""));
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"missing.npz\"\nbackbone = \"pix\"\n")),
            at(26, 8, fmt::format("datasets[2].path: \"{}\" does not exist", abs("missing.npz"))));
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"feats.npy\"\nbackbone = \"pix\"\nentry = 3\n")),
            at(28, 9, "datasets[2].entry: expected a string, got integer"));
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"feats.npy\"\nbackbone = \"pix\"\nlimit = 3\n")),
            at(28, 1,
               "datasets[2].limit: unknown key for source \"statistics\" (known keys: id, source, "
               "path, backbone, entry)"));
}

// ---- paths ----------------------------------------------------------------------------------

TEST_F(ErrorsTest, FolderDoesNotExist) {
  EXPECT_EQ(
      error_of(minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"folder\"\npath = \"data/c\"\n")),
      at(26, 8, fmt::format("datasets[2].path: \"{}\" does not exist", abs("data/c"))));
}

TEST_F(ErrorsTest, FolderIsAFile) {
  EXPECT_EQ(
      error_of(
          minimal_plus("[[datasets]]\nid = \"c\"\nsource = \"folder\"\npath = \"feats.npy\"\n")),
      at(26, 8, fmt::format("datasets[2].path: \"{}\" is not a directory", abs("feats.npy"))));
}

TEST_F(ErrorsTest, FeaturesFileDoesNotExistOrIsADirectory) {
  const std::string head =
      "[[backbones]]\nid = \"ext\"\nkind = \"external\"\n\n"
      "[[datasets]]\nid = \"f\"\nsource = \"features\"\n";
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"missing.h5:/x\"\nbackbone = \"ext\"\n")),
            at(30, 8, fmt::format("datasets[2].path: \"{}\" does not exist", abs("missing.h5"))));
  fs::create_directories(root() / "dir.npy");
  EXPECT_EQ(error_of(minimal_plus(head + "path = \"dir.npy\"\nbackbone = \"ext\"\n")),
            at(30, 8, fmt::format("datasets[2].path: \"{}\" is not a file", abs("dir.npy"))));
}

TEST_F(ErrorsTest, WeightsDoNotExist) {
  EXPECT_EQ(
      error_of(minimal_plus("[[backbones]]\nid = \"inc\"\nkind = \"fid-inception\"\n"
                            "weights = \"weights/missing.pth\"\n")),
      at(26, 11,
         fmt::format("backbones[1].weights: \"{}\" does not exist", abs("weights/missing.pth"))));
}

TEST_F(ErrorsTest, WeightsFromAPresetArePointedAtInThePresetsFile) {
  fs::remove(root() / "weights" / "inception.pth");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"inc\"\npreset = \"inception\"\n")),
            in_presets(12, 11,
                       fmt::format("presets.inception.weights: \"{}\" does not exist",
                                   abs("weights/inception.pth"))));
}

TEST_F(ErrorsTest, OutputIsAFile) {
  std::string text(kMinimalJob);
  EXPECT_EQ(
      error_of(text.replace(text.find("\"out\""), 5, "\"feats.npy\"")),
      at(3, 10, fmt::format("job.output: \"{}\" exists and is not a directory", abs("feats.npy"))));
}

TEST_F(ErrorsTest, PresetsDirectory) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(std::string(text).insert(text.find("\n\n"), "\npresets = \"nowhere\"")),
            at(4, 11, fmt::format("job.presets: \"{}\" does not exist", abs("nowhere"))));
  EXPECT_EQ(error_of(std::string(text).insert(text.find("\n\n"), "\npresets = \"data\"")),
            at(4, 11, fmt::format("job.presets: \"{}\" holds no backbones.toml", abs("data"))));
}

TEST_F(ErrorsTest, EmptyPath) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(text.replace(text.find("\"out\""), 5, "\"\"")),
            at(3, 10, "job.output: expected a non-empty path"));
}

TEST_F(ErrorsTest, PresetsFileIsADirectory) {
  fs::remove(presets_file());
  fs::create_directories(presets_file());
  EXPECT_EQ(error_of(kMinimalJob), presets_file().string() + ": presets file is a directory");
}

TEST_F(ErrorsTest, JobFileCannotBeRead) {
  EXPECT_THROW_WITH(load_job(root() / "none.toml", options_), ConfigError,
                    (root() / "none.toml").string() + ": job file does not exist");
  try {
    load_job(root() / "data", options_);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), (root() / "data").string() + ": job file is a directory");
  }
}

// ---- names ----------------------------------------------------------------------------------

TEST_F(ErrorsTest, InvalidNames) {
  std::string text(kMinimalJob);
  EXPECT_EQ(error_of(std::string(text).replace(text.find("\"t\""), 3, "\"My Job\"")),
            at(2, 8, "job.name: invalid name \"My Job\" (expected [a-z0-9][a-z0-9_.-]*)"));
  EXPECT_EQ(error_of(std::string(text).replace(text.find("\"real\""), 6, "\"Real\"")),
            at(6, 6, "datasets[0].id: invalid name \"Real\" (expected [a-z0-9][a-z0-9_.-]*)"));
  EXPECT_EQ(error_of(std::string(text).replace(text.find("\"pix\""), 5, "\"_pix\"")),
            at(16, 6, "backbones[0].id: invalid name \"_pix\" (expected [a-z0-9][a-z0-9_.-]*)"));
  EXPECT_EQ(error_of(std::string(text).replace(text.find("\"pix\""), 5, "\"\"")),
            at(16, 6, "backbones[0].id: invalid name \"\" (expected [a-z0-9][a-z0-9_.-]*)"));
}

TEST_F(ErrorsTest, InvalidPresetName) {
  ::gensweep::testing::write_text(presets_file(), "[presets.Pix]\nkind = \"pixels\"\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"Pix\"\n")),
            in_presets(1, 10, "presets.Pix: invalid name \"Pix\" (expected [a-z0-9][a-z0-9_.-]*)"));
}

// ---- presets --------------------------------------------------------------------------------

TEST_F(ErrorsTest, UnknownPreset) {
  EXPECT_EQ(
      error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"pix-61\"\n")),
      at(25, 10, "backbones[1].preset: unknown preset \"pix-61\" (did you mean \"pix-16\"?)"));
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"clip\"\n")),
            at(25, 10,
               "backbones[1].preset: unknown preset \"clip\" (known presets: pix-16, "
               "rcnn-small, inception)"));
}

TEST_F(ErrorsTest, NoPresetsFile) {
  options_.presets_dir.clear();
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"pix-16\"\n")),
            at(25, 10,
               "backbones[1].preset: unknown preset \"pix-16\" (no presets file: set [job] "
               "presets or pass a presets directory)"));
  options_.presets_dir = root() / "data";
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"pix-16\"\n")),
            at(25, 10,
               fmt::format("backbones[1].preset: unknown preset \"pix-16\" (presets file "
                           "\"{}\" does not exist)",
                           abs("data/backbones.toml"))));
}

TEST_F(ErrorsTest, KindConflictsWithPreset) {
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"pix-16\"\n"
                                  "kind = \"random-cnn\"\n")),
            at(26, 8,
               "backbones[1].kind: \"random-cnn\" conflicts with preset \"pix-16\" (kind "
               "\"pixels\")"));
}

TEST_F(ErrorsTest, PresetWithoutKind) {
  ::gensweep::testing::write_text(presets_file(), "[presets.a]\nsize = 8\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(1, 1, "presets.a: missing required key \"kind\""));
}

TEST_F(ErrorsTest, PresetsIsNotATable) {
  ::gensweep::testing::write_text(presets_file(), "presets = 3\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(1, 11, "presets: expected a table, got integer"));
}

TEST_F(ErrorsTest, PresetIsNotATable) {
  ::gensweep::testing::write_text(presets_file(), "[presets]\na = 3\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(2, 5, "presets.a: expected a table, got integer"));
}

TEST_F(ErrorsTest, PresetValueOutOfBoundsPointsIntoThePresetsFile) {
  ::gensweep::testing::write_text(presets_file(), "[presets.a]\nkind = \"pixels\"\nsize = 0\n");
  EXPECT_EQ(error_of(minimal_plus("[[backbones]]\nid = \"p\"\npreset = \"a\"\n")),
            in_presets(3, 8, "presets.a.size: expected an integer in 1..1024, got 0"));
}

TEST_F(ErrorsTest, ListPresetsReportsSyntaxErrors) {
  EXPECT_THROW_WITH(list_presets("[presets.a\n", "p.toml"), ConfigError, "p.toml:1:");
}

// ---- look-ups on a loaded job ---------------------------------------------------------------

TEST_F(ErrorsTest, FindUnknownIds) {
  const Job job = load(kMinimalJob);
  try {
    find_dataset(job, "nope");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), at(1, 1, "job \"t\" has no dataset \"nope\""));
  }
  try {
    find_backbone(job, "nope");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), at(1, 1, "job \"t\" has no backbone \"nope\""));
  }
}

TEST_F(ErrorsTest, DirectionsIsOneOrBoth) {
  EXPECT_EQ(load(minimal_plus("")).comparisons[0].directions, Directions::kOne);
  EXPECT_EQ(load(minimal_plus("directions = \"both\"\n")).comparisons[0].directions,
            Directions::kBoth);
  EXPECT_EQ(load(minimal_plus("directions = \"one\"\n")).comparisons[0].directions,
            Directions::kOne);
  // Line 23 continues the minimal job's [[comparisons]] table.
  EXPECT_EQ(error_of(minimal_plus("directions = \"bothh\"\n")),
            at(23, 14,
               "comparisons[0].directions: unknown directions value \"bothh\" (did you mean "
               "\"both\"?)"));
  EXPECT_EQ(error_of(minimal_plus("directions = 2\n")),
            at(23, 14, "comparisons[0].directions: expected a string, got integer"));
}

TEST_F(ErrorsTest, RarestFractionIsAFractionOfABothWaysComparison) {
  EXPECT_DOUBLE_EQ(load(minimal_plus("directions = \"both\"\n")).comparisons[0].rarest_fraction,
                   0.1);
  EXPECT_DOUBLE_EQ(load(minimal_plus("directions = \"both\"\nrarest_fraction = 0.5\n"))
                       .comparisons[0]
                       .rarest_fraction,
                   0.5);
  EXPECT_EQ(error_of(minimal_plus("rarest_fraction = 0.5\n")),
            at(23, 19,
               "comparisons[0].rarest_fraction: applies only to comparisons with directions = "
               "\"both\""));
  EXPECT_EQ(error_of(minimal_plus("directions = \"both\"\nrarest_fraction = 1.5\n")),
            at(24, 19, "comparisons[0].rarest_fraction: expected a fraction in (0, 1], got 1.5"));
}

}  // namespace
}  // namespace gensweep::config::testing
