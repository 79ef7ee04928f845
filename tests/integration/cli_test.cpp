// The command line: usage errors, validate, inspect, and `compare` on folders, stores and
// precomputed features (checked against the golden pytorch-fid value).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "gensweep/core/sha256.h"
#include "gensweep/io/decode.h"
#include "gensweep/io/encode.h"
#include "gensweep/metrics/frechet.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/npz_reader.h"
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
  for (const char* cmd :
       {"run", "extract", "reduce", "validate", "inspect", "compare", "export", "render"}) {
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
  for (const char* job : {"demo.toml", "features_example.toml", "sensitivity.toml"}) {
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

// pytorch-fid's quick path: `compare DIR DIR --backbone fid-inception --weights FILE`. The FD of
// the two folders' features must be the FD of pytorch-fid's own pool3 features of the same images
// (golden, with the stand-in weights), computed here from those rows.
TEST(Cli, CompareWithWeightsFlagGivesPytorchFidFeatures) {
  GENSWEEP_REQUIRE_SHARED("golden/cifar10_surrogate_inception/data.h5");
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  const std::string weights = (shared_dir() / "weights" / "surrogate-fid-inception.pth").string();
  const std::string sha256 = "d1498881ebe037a1592ae967152a7b2c511cb97ce18fae02372b42c790ecafed";
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 8);
  copy_cifar_images(dir / "b", 8, 8);
  const auto golden = store::load_external_features(
      (shared_dir() / "golden" / "cifar10_surrogate_inception" / "data.h5").string() +
      ":/pytorch_fid_pool3_features_all846");
  ASSERT_EQ(golden.cols, 2048);
  const FeatureView a{golden.values.data(), 8, 2048}, b{golden.values.data() + 8 * 2048, 8, 2048};
  const double expected = metrics::frechet_distance(a, b).value;
  auto r = run_gensweep({"compare", (dir / "a").string(), (dir / "b").string(), "--backbone",
                         "fid-inception", "--weights", weights, "--sha256", sha256, "--json",
                         "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // Features agree with pytorch-fid's to float32 round-off (fid_inception_tests); the FD of 8
  // rows against 8 moves by less than 1e-5 of itself.
  EXPECT_NEAR(j["metrics"]["fd"].get<double>(), expected, 1e-5 * expected);
  EXPECT_EQ(j["backbone"], "fid-inception");

  // Another file than the one pinned: refused (backbone error, exit 6), naming the file.
  const std::string wrong(64, 'a');
  auto pinned = run_gensweep({"compare", (dir / "a").string(), (dir / "b").string(), "--backbone",
                              "fid-inception", "--weights", weights, "--sha256", wrong, "--quiet"});
  EXPECT_EQ(pinned.exit_code, 6) << pinned.err;
  EXPECT_NE(pinned.err.find("surrogate-fid-inception.pth"), std::string::npos) << pinned.err;
}

// `gensweep export`: the statistics as pytorch-fid's .npz and the features as .npy, checked with
// numpy itself (np.load, np.cov) against the store's rows read with h5py.
TEST(Cli, ExportWritesWhatNumpyAndPytorchFidRead) {
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 20);
  auto made = run_gensweep({"compare", (dir / "a").string(), (dir / "a").string(), "--backbone",
                            "pixels-32", "--cache", (dir / "cache").string(), "--quiet"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto store = dir / "cache" / "stores" / "reference" / "features.h5";
  auto r = run_gensweep({"export", store.string(), "--stats", (dir / "ref.npz").string(),
                         "--features", (dir / "ref.npy").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_text(dir / "check.py", R"(import sys, numpy as np, h5py
d = sys.argv[1]
h = h5py.File(sys.argv[2], "r")
x = h["features"][:][h["valid"][:] == 1]
stats = np.load(d + "/ref.npz")  # what pytorch-fid does with a statistics file
assert stats.files == ["mu", "sigma"], stats.files
mu, sigma = stats["mu"], stats["sigma"]
assert mu.dtype == np.float64 and sigma.dtype == np.float64
assert mu.shape == (x.shape[1],) and sigma.shape == (x.shape[1], x.shape[1])
assert np.array_equal(sigma, sigma.T)
assert np.abs(mu - x.astype(np.float64).mean(0)).max() <= 1e-12 * np.abs(mu).max()
cov = np.cov(x.astype(np.float64), rowvar=False)
assert np.abs(sigma - cov).max() <= 1e-12 * np.abs(cov).max(), np.abs(sigma - cov).max()
f = np.load(d + "/ref.npy")
assert f.dtype == np.float32 and np.array_equal(f, x)
ids = open(d + "/ref.ids.txt").read().splitlines()
assert ids == [i.decode() if isinstance(i, bytes) else i for i in h["ids"][:]], ids[:3]
print("ok")
)");
  const std::string check = "/usr/bin/python3 '" + (dir / "check.py").string() + "' '" +
                            dir.path().string() + "' '" + store.string() + "'";
  EXPECT_EQ(std::system(check.c_str()), 0) << check;
  const auto sidecar = nlohmann::json::parse(read_text(dir / "ref.npz.json"));
  EXPECT_EQ(sidecar["rows"], 20);
  EXPECT_EQ(sidecar["store_provenance"]["backbone"], "features");

  // Never replaces a file, and loses nothing: the earlier export stays as it was.
  const std::string before = read_text(dir / "ref.npz");
  auto again = run_gensweep({"export", store.string(), "--stats", (dir / "ref.npz").string()});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_NE(again.err.find("ref.npz: exists already"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(dir / "ref.npz"), before);
  auto suffix = run_gensweep({"export", store.string(), "--stats", (dir / "ref.zip").string()});
  EXPECT_EQ(suffix.exit_code, 4);
  EXPECT_NE(suffix.err.find("ref.zip: expected a file name ending in .npz"), std::string::npos)
      << suffix.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "ref.zip"));
  auto nothing = run_gensweep({"export", store.string()});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("give --stats OUT.npz and/or --features OUT.npy"), std::string::npos);
  write_text(dir / "fake.h5", "not a store");
  auto foreign =
      run_gensweep({"export", (dir / "fake.h5").string(), "--stats", (dir / "x.npz").string()});
  EXPECT_EQ(foreign.exit_code, 5) << foreign.err;
  EXPECT_NE(foreign.err.find("fake.h5"), std::string::npos) << foreign.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.npz"));
}

TEST(Cli, CompareWeightsFlagMistakesNameTheFlag) {
  GENSWEEP_REQUIRE_SHARED("golden/gauss_d64/data.h5");
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 3);
  copy_cifar_images(dir / "b", 3, 3);
  const std::string a = (dir / "a").string(), b = (dir / "b").string();
  write_text(dir / "w.pth", "not really weights");
  struct Case {
    std::vector<std::string> flags;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--backbone", "fid-inception"},
       "--backbone fid-inception loads a weights file: give it with --weights FILE"},
      {{"--backbone", "fid-inception", "--weights", (dir / "missing.pth").string()},
       "--weights " + (dir / "missing.pth").string() + ": no such file"},
      {{"--backbone", "fid-inception", "--weights", (dir / "w.pth").string(), "--sha256", "12ab"},
       "--sha256 '12ab': expected the 64 hexadecimal digits"},
      {{"--backbone", "fid-inception", "--sha256", std::string(64, 'a')},
       "--backbone fid-inception loads a weights file"},
      {{"--backbone", "pixels-32", "--weights", (dir / "w.pth").string()},
       "--backbone pixels-32 (pixels) takes no weights file"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"compare", a, b};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = run_gensweep(args);
    EXPECT_EQ(r.exit_code, 2) << c.expected << ": " << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    // Never a line of the job compare writes for itself.
    EXPECT_EQ(r.err.find("<compare>"), std::string::npos) << r.err;
  }
  const auto h5 = (shared_dir() / "golden" / "gauss_d64" / "data.h5").string();
  auto features = run_gensweep(
      {"compare", h5 + ":/real", h5 + ":/fake", "--weights", (dir / "w.pth").string()});
  EXPECT_EQ(features.exit_code, 2);
  EXPECT_NE(features.err.find("--weights, --sha256 and --layer belong to --backbone"),
            std::string::npos)
      << features.err;
  // --layer names the flag too: for a preset that has no layers, and for an unknown layer.
  auto layer = run_gensweep({"compare", a, b, "--backbone", "pixels-32", "--layer", "192"});
  EXPECT_EQ(layer.exit_code, 2);
  EXPECT_NE(layer.err.find("--layer chooses a layer of a fid-inception backbone; --backbone "
                           "pixels-32 is of kind pixels"),
            std::string::npos)
      << layer.err;
  layer = run_gensweep({"compare", a, b, "--backbone", "fid-inception", "--weights",
                        (dir / "w.pth").string(), "--layer", "191"});
  EXPECT_EQ(layer.exit_code, 2);
  EXPECT_NE(layer.err.find("--layer '191': expected one of 64, 192, 768, 2048, logits"),
            std::string::npos)
      << layer.err;
}

// Statistics files other tools wrote as compare inputs (shared/golden/formats): pytorch-fid's FD
// between its two files, the same arrays inside an EDM2 pickle, torch-fidelity's float32 mean
// (FORMATS.md 2.4), and the refusals.
TEST(Cli, CompareReadsStatisticsFilesOfOtherTools) {
  GENSWEEP_REQUIRE_SHARED("golden/formats/pytorch_fid_stats_first423_dims192.npz");
  const auto formats = shared_dir() / "golden" / "formats";
  const std::string half_b = (formats / "pytorch_fid_stats_0423_0845_dims192.npz").string();
  struct Case {
    std::string reference;
    double expected;
  };
  const std::vector<Case> cases = {
      {"pytorch_fid_stats_first423_dims192.npz", 1.5646442523003117},
      {"edm2_style_stats_first423_dims192.pkl", 1.5646442523003117},
      {"torch_fidelity_cache/cifar10-first423-inception-v3-compat-stat-fid-192.pt",
       1.564644470390114},
  };
  for (const auto& c : cases) {
    auto r = run_gensweep({"compare", (formats / c.reference).string(), half_b, "--json"});
    ASSERT_EQ(r.exit_code, 0) << c.reference << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_NEAR(j["metrics"]["fd"].get<double>(), c.expected, 1e-9 * c.expected) << c.reference;
    EXPECT_EQ(j["diagnostics"]["fd"]["route"], "symmetric-eigen");
  }
  auto kid = run_gensweep({"compare", (formats / "pytorch_fid_stats_first423_dims192.npz").string(),
                           half_b, "--metrics", "fd,kid"});
  EXPECT_EQ(kid.exit_code, 3) << kid.err;
  EXPECT_NE(kid.err.find("metric \"kid\" needs features; only fd can use statistics"),
            std::string::npos)
      << kid.err;
  auto hostile =
      run_gensweep({"compare", (formats / "refuse_global_builtins_print.pkl").string(), half_b});
  EXPECT_EQ(hostile.exit_code, 4) << hostile.err;
  EXPECT_NE(hostile.err.find("refused the global builtins.print"), std::string::npos)
      << hostile.err;
}

// --save-stats writes REF's statistics as pytorch-fid's .npz; comparing that file with EVAL gives
// the FD of the two folders bit for bit (the covariance is the store's scatter / (N - 1), exactly
// what the folder-to-folder FD uses). Layer 64 and 80 images a side keep N > D, so the FD of the
// folders takes the same covariance route.
TEST(Cli, CompareSaveStatsGivesAFileThatReproducesTheFd) {
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  TempDir dir;
  copy_cifar_images(dir / "a", 0, 80);
  copy_cifar_images(dir / "b", 80, 80);
  const std::vector<std::string> backbone = {
      "--backbone", "fid-inception",
      "--weights",  (shared_dir() / "weights" / "surrogate-fid-inception.pth").string(),
      "--layer",    "64"};
  const std::string saved = (dir / "a_stats.npz").string();
  std::vector<std::string> args = {"compare", (dir / "a").string(), (dir / "b").string(),
                                   "--json",  "--save-stats",       saved};
  args.insert(args.end(), backbone.begin(), backbone.end());
  auto folders = run_gensweep(args);
  ASSERT_EQ(folders.exit_code, 0) << folders.err;
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_TRUE(std::filesystem::exists(saved + ".json"));
  args = {"compare", saved, (dir / "b").string(), "--json"};
  args.insert(args.end(), backbone.begin(), backbone.end());
  auto reused = run_gensweep(args);
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  const auto f = nlohmann::json::parse(folders.out), r = nlohmann::json::parse(reused.out);
  EXPECT_EQ(f["diagnostics"]["fd"]["route"], "symmetric-eigen");
  EXPECT_EQ(r["metrics"]["fd"].get<double>(), f["metrics"]["fd"].get<double>());
  EXPECT_TRUE(r["diagnostics"]["fd"]["n_reference"].is_null());

  // The file exists now: refused before any work (nothing is replaced), as is a wrong suffix.
  args = {"compare", (dir / "a").string(), (dir / "b").string(), "--save-stats", saved};
  args.insert(args.end(), backbone.begin(), backbone.end());
  auto again = run_gensweep(args);
  EXPECT_EQ(again.exit_code, 4) << again.err;
  EXPECT_NE(again.err.find("exists already; gensweep does not overwrite it"), std::string::npos)
      << again.err;
  EXPECT_EQ(again.err.find("image files read"), std::string::npos) << "it did work first";
  args[4] = (dir / "stats.txt").string();
  auto suffix = run_gensweep(args);
  EXPECT_EQ(suffix.exit_code, 2) << suffix.err;
  EXPECT_NE(suffix.err.find("expected a file name ending in .npz"), std::string::npos)
      << suffix.err;
}

// `gensweep render`: a folder dataset's PNGs hold exactly the decoded source images; a derived
// dataset's hold its distortion (same size, other pixels, the same bytes when rendered again); a
// file that does not decode is listed in failures.csv; nothing is replaced.
TEST(Cli, RenderWritesWhatTheBackbonesSee) {
  TempDir dir;
  copy_cifar_images(dir / "images", 0, 3);
  write_text(dir / "images" / "zz_broken.png", "not a png");
  write_text(dir / "job.toml", R"([job]
name = "render"
output = "out"

[[datasets]]
id = "clean"
source = "folder"
path = "images"

[[datasets]]
id = "blurred"
source = "derived"
base = "clean"
distortion = { kind = "gaussian_blur", sigma = 1.5 }

[[backbones]]
id = "pix"
preset = "pixels-32"

[[comparisons]]
reference = "clean"
evaluated = ["blurred"]
)");
  auto r = run_gensweep({"render", "job.toml", "clean", "clean_png"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 image(s) of dataset 'clean' written, 1 failed"), std::string::npos)
      << r.out;
  const auto ids = read_text(dir / "clean_png" / "ids.csv");
  EXPECT_NE(ids.find("0,0000.png,0-0000.png"), std::string::npos) << ids;
  EXPECT_NE(read_text(dir / "clean_png" / "failures.csv").find("3,zz_broken.png,"),
            std::string::npos);
  for (int i = 0; i < 3; ++i) {
    const auto source =
        io::decode_image(io::read_file_bytes(dir / "images" / fmt::format("{:04d}.png", i)));
    const auto rendered = io::decode_image(
        io::read_file_bytes(dir / "clean_png" / fmt::format("{}-{:04d}.png", i, i)));
    ASSERT_TRUE(source.ok && rendered.ok);
    EXPECT_EQ(rendered.image.rgb, source.image.rgb) << i;
  }

  r = run_gensweep({"render", "job.toml", "blurred", "blurred_png", "--limit", "2"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto blurred = io::decode_image(io::read_file_bytes(dir / "blurred_png" / "0-0000.png"));
  const auto clean = io::decode_image(io::read_file_bytes(dir / "clean_png" / "0-0000.png"));
  ASSERT_TRUE(blurred.ok);
  EXPECT_EQ(blurred.image.width, clean.image.width);
  EXPECT_NE(blurred.image.rgb, clean.image.rgb);
  EXPECT_FALSE(std::filesystem::exists(dir / "blurred_png" / "2-0002.png"));
  r = run_gensweep({"render", "job.toml", "blurred", "again", "--limit", "2"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir / "again" / "0-0000.png"), read_text(dir / "blurred_png" / "0-0000.png"));

  r = run_gensweep({"render", "job.toml", "blurred", "again", "--limit", "1"}, 0, dir.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("exists already; gensweep render never replaces a file"), std::string::npos)
      << r.err;
  r = run_gensweep({"render", "job.toml", "nosuch", "x"}, 0, dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
}

// `gensweep render JOB DATASET OUT.npz`: images 0000-0063 as an ADM sample batch whose arr_0
// bytes are exactly those of guided-diffusion's own batch of the same images
// (shared/golden/formats/expected.json), and which numpy reads; images of another size are
// refused, leaving no file.
TEST(Cli, RenderWritesTheAdmSampleBatchGuidedDiffusionWrites) {
  TempDir dir;
  copy_cifar_images(dir / "images", 0, 64);
  write_text(dir / "job.toml", R"([job]
name = "batch"
output = "out"

[[datasets]]
id = "images"
source = "folder"
path = "images"

[[datasets]]
id = "first"
source = "folder"
path = "images"
limit = 2

[[backbones]]
id = "pix"
preset = "pixels-32"

[[comparisons]]
reference = "images"
evaluated = ["first"]
)");
  auto r = run_gensweep({"render", "job.toml", "images", "batch.npz"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const store::NpzFile npz(dir / "batch.npz");
  const store::NpzMember* images = npz.find("arr_0");
  ASSERT_NE(images, nullptr);
  EXPECT_TRUE(images->stored);
  const auto header = npz.header("arr_0");
  EXPECT_EQ(header.descr, "|u1");
  EXPECT_EQ(header.shape, (std::vector<std::int64_t>{64, 32, 32, 3}));
  const auto bytes = npz.read("arr_0");
  EXPECT_EQ(sha256_hex(std::span<const std::uint8_t>(bytes).subspan(header.data_offset)),
            "49032c314487d54439c82427296572ceb26ce01aa3a1522ff66d1c6368cfa154");
  EXPECT_EQ(read_text(dir / "batch.npz.ids.txt").substr(0, 18), "0000.png\n0001.png\n");
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0) {
    const std::string check = fmt::format(
        "/usr/bin/python3 -c \"import numpy as np; a = np.load('{}')['arr_0']; "
        "assert a.shape == (64, 32, 32, 3) and a.dtype == np.uint8 and a[0, 0, 0].tolist() == "
        "[158, 112, 49]\"",
        (dir / "batch.npz").string());
    EXPECT_EQ(std::system(check.c_str()), 0) << "numpy cannot read it as the ADM batch";
  }

  // One image of another size: refused naming it, and no batch appears.
  io::Image small;
  small.width = small.height = 16;
  small.rgb.assign(16 * 16 * 3, 128);
  const auto png = io::encode_png(small);
  write_text(dir / "images" / "0010_small.png", std::string(png.begin(), png.end()));
  r = run_gensweep({"render", "job.toml", "images", "mixed.npz"}, 0, dir.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("image 11 (0010_small.png) is 16 x 16, the first image 32 x 32"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "mixed.npz"));
}

}  // namespace
}  // namespace gensweep::testing
