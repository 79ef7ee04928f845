// Mixtures and region distortions through the real binary: `gensweep run` on CIFAR-10 images with
// counterfactual twins (other CIFAR images under the same ids) and label images made here.
// Properties checked, none copied from gensweep's output:
// - a mixture's row for id X is, bit for bit, the base's or the counterfactual's row for X;
//   exactly round(proportion * size) come from the counterfactual; one seed draws the same ids at
//   every proportion; FD against the mixture at proportion 0 equals FD against a folder of the
//   same images (up to summation order);
// - a region covering every label gives the whole-image distortion's features bit for bit, one
//   covering no pixel the base's; rendered, a region image is the base outside and the
//   whole-image distortion inside;
// - a label image of another size fails that image (recorded in the store with both ids and
//   sizes); a counterfactual without a drawn id stops the job before any extraction.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "gensweep/io/decode.h"
#include "gensweep/io/encode.h"
#include "gensweep/store/feature_store.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

// A proportion as dataset ids spell it (config::level_text).
std::string config_level(double level) {
  return fmt::format("{}", level);
}

constexpr int kImages = 40;
constexpr int kDrawn = 24;

void write_png(const fs::path& path, const io::Image& image) {
  fs::create_directories(path.parent_path());
  const auto bytes = io::encode_png(image);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

io::Image decode(const fs::path& path) {
  const auto bytes = io::read_file_bytes(path);
  io::DecodeOutcome out = io::decode_image(bytes);
  EXPECT_TRUE(out.ok) << path << ": " << out.reason;
  return out.image;
}

// Label image of image i (size x size): 1 in a rectangle that moves with i, 2 in the bottom rows,
// 0 elsewhere (gray, so every channel holds the label).
io::Image label_image(int i, int size = 32) {
  io::Image image{size, size, std::vector<std::uint8_t>(static_cast<std::size_t>(size * size * 3))};
  const int x0 = i % 16, y0 = (i * 3) % 18;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      std::uint8_t label = 0;
      if (x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 10) label = 1;
      if (y >= size - 4) label = 2;
      for (int c = 0; c < 3; ++c)
        image.rgb[static_cast<std::size_t>((y * size + x) * 3 + c)] = label;
    }
  return image;
}

// Rows of a store by id.
std::map<std::string, std::vector<float>> rows_by_id(const fs::path& store) {
  const FeatureMatrix m = read_store_features(store);
  const auto ids = store::FeatureStore::open_read(store).read_ids();
  std::map<std::string, std::vector<float>> out;
  for (std::int64_t r = 0; r < m.rows; ++r)
    out[ids[static_cast<std::size_t>(r)]] =
        std::vector<float>(m.values.begin() + r * m.cols, m.values.begin() + (r + 1) * m.cols);
  return out;
}

class MixtureRegion : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kImages; ++i) {
      const std::string id = fmt::format("{:04d}.png", i);
      fs::create_directories(dir_ / "base");
      fs::create_directories(dir_ / "cf");
      fs::copy_file(cifar(i), dir_ / "base" / id);
      fs::copy_file(cifar(100 + i), dir_ / "cf" / id);  // the "counterfactual": another image
      write_png(dir_ / "labels" / id, label_image(i));
    }
  }
  static fs::path cifar(int i) {
    return source_dir() / "data" / "cifar10-846" / fmt::format("{:04d}.png", i);
  }
  fs::path store(const std::string& dataset) const {
    return dir_ / "out" / "stores" / dataset / "pix.h5";
  }
  void write_job(const std::string& datasets, const std::string& evaluated,
                 const std::string& compute = "") {
    write_text(dir_ / "job.toml", fmt::format(R"([job]
name = "mixreg"
output = "out"

[compute]
batch_size = 16
threads = 2
{}

[[datasets]]
id = "base"
source = "folder"
path = "base"

[[datasets]]
id = "cf"
source = "folder"
path = "cf"

[[datasets]]
id = "labels"
source = "folder"
path = "labels"
{}
[[backbones]]
id = "pix"
kind = "pixels"
size = 32

[[comparisons]]
reference = "base"
evaluated = [{}]
metrics = ["fd"]
)",
                                              compute, datasets, evaluated));
  }
  double fd_of(const std::string& evaluated) {
    std::ifstream in(dir_ / "out" / "results.json");
    const auto results = nlohmann::json::parse(in);
    for (const auto& entry : results["entries"])
      if (entry["evaluated"] == evaluated && entry["metric"] == "fd")
        return entry["value"].get<double>();
    ADD_FAILURE() << "no fd for " << evaluated;
    return 0;
  }

  TempDir dir_{"gensweep-mixreg"};
};

constexpr const char* kMixtures = R"(
[[datasets]]
id = "mix0"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0
size = 24
seed = 5

[[datasets]]
id = "mix-half"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0.5
size = 24
seed = 5

[[datasets]]
id = "mix1"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 1.0
size = 24
seed = 5

[[datasets]]
id = "mix-other-seed"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0.5
size = 24
seed = 6
)";

TEST_F(MixtureRegion, MixtureRowsComeFromTheRightTwinAndFdAtZeroIsTheBaseImagesFd) {
  write_job(kMixtures, R"("cf", "mix0", "mix-half", "mix1", "mix-other-seed")");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const auto base = rows_by_id(store("base"));
  const auto cf = rows_by_id(store("cf"));
  const auto ids_of = [&](const std::string& d) {
    return store::FeatureStore::open_read(store(d)).read_ids();
  };
  const auto mix0_ids = ids_of("mix0");
  ASSERT_EQ(mix0_ids.size(), static_cast<std::size_t>(kDrawn));
  EXPECT_EQ(std::set<std::string>(mix0_ids.begin(), mix0_ids.end()).size(),
            static_cast<std::size_t>(kDrawn));
  // One seed: the same ids in the same order at every proportion; another seed: another draw.
  EXPECT_EQ(ids_of("mix-half"), mix0_ids);
  EXPECT_EQ(ids_of("mix1"), mix0_ids);
  EXPECT_NE(ids_of("mix-other-seed"), mix0_ids);

  // Which twin each row is: base and counterfactual images differ, so rows tell them apart.
  const auto count_from = [&](const std::string& d) {
    int from_cf = 0, from_base = 0;
    for (const auto& [id, row] : rows_by_id(store(d))) {
      if (row == cf.at(id)) ++from_cf;
      if (row == base.at(id)) ++from_base;
    }
    return std::pair{from_cf, from_base};
  };
  EXPECT_EQ(count_from("mix0"), std::pair(0, kDrawn));
  EXPECT_EQ(count_from("mix-half"), std::pair(kDrawn / 2, kDrawn / 2));
  EXPECT_EQ(count_from("mix1"), std::pair(kDrawn, 0));
  EXPECT_EQ(count_from("mix-other-seed"), std::pair(kDrawn / 2, kDrawn / 2));

  // FD against the proportion-0 mixture is FD against a folder of the same base images.
  for (const auto& id : mix0_ids) {
    fs::create_directories(dir_ / "drawn");
    fs::copy_file(dir_ / "base" / id, dir_ / "drawn" / id);
  }
  write_job(std::string(kMixtures) +
                "\n[[datasets]]\nid = \"drawn\"\nsource = \"folder\"\n"
                "path = \"drawn\"\n",
            R"("cf", "mix0", "mix-half", "mix1", "mix-other-seed", "drawn")");
  r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const double drawn = fd_of("drawn");
  EXPECT_GT(drawn, 0.0);
  // Same rows in another order: the statistics differ only by summation order.
  EXPECT_NEAR(fd_of("mix0"), drawn, 1e-9 * drawn);

  // validate prints the mixture as loaded; render writes its images.
  r = run_gensweep({"validate", "job.toml"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("id = \"mix-half\"\nsource = \"mixture\"\nbase = \"base\"\n"
                       "counterfactual = \"cf\"\nproportion = 0.5\nsize = 24\nseed = 5\n"),
            std::string::npos)
      << r.out;
  r = run_gensweep({"render", "job.toml", "mix-half", "rendered"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int pngs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "rendered"))
    pngs += e.path().extension() == ".png";
  EXPECT_EQ(pngs, kDrawn);
}

TEST_F(MixtureRegion, CounterfactualWithoutADrawnIdStopsTheJobBeforeExtraction) {
  fs::remove(dir_ / "cf" / "0003.png");
  write_job(R"(
[[datasets]]
id = "mix"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0.0
size = 40
)",
            R"("mix")");
  const auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;  // a data error
  EXPECT_NE(r.err.find("dataset \"mix\": counterfactual dataset \"cf\" has no image with id "
                       "\"0003.png\""),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(store("base")));

  // A set larger than the base: refused the same way, naming the dataset and both numbers.
  fs::copy_file(cifar(103), dir_ / "cf" / "0003.png");
  write_job(R"(
[[datasets]]
id = "mix"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0.5
size = 41
)",
            R"("mix")");
  const auto large = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(large.exit_code, 10) << large.out << large.err;
  EXPECT_NE(large.err.find("dataset \"mix\": mixture: size 41 is not in 1..40 (the base "
                           "dataset's images)"),
            std::string::npos)
      << large.err;
  EXPECT_FALSE(fs::exists(store("base")));
}

constexpr const char* kRegions = R"(
[[datasets]]
id = "blur-all"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }

[[datasets]]
id = "blur-1"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
region = { mask = "labels", values = [1] }

[[datasets]]
id = "blur-every"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
region = { mask = "labels", values = [0, 1, 2] }

[[datasets]]
id = "blur-none"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
region = { mask = "labels", values = [7] }
)";

TEST_F(MixtureRegion, RegionsBetweenNoneAndEveryPixel) {
  write_job(kRegions, R"("blur-all", "blur-1", "blur-every", "blur-none")");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_store(store("blur-every"), store("blur-all"));
  EXPECT_EQ(rows_by_id(store("blur-none")), rows_by_id(store("base")));
  EXPECT_EQ(fd_of("blur-every"), fd_of("blur-all"));
  // Identical statistics: FD is 0 up to the round-off of the matrix square root.
  const double all = fd_of("blur-all");
  EXPECT_NEAR(fd_of("blur-none"), 0.0, 1e-9 * all);
  const double part = fd_of("blur-1");
  EXPECT_GT(part, 1e-6 * all);
  EXPECT_NE(part, all);

  // Rendered: outside the region the base's pixels, inside the whole-image blur's.
  for (const char* d : {"base", "blur-all", "blur-1"}) {
    r = run_gensweep({"render", "job.toml", d, std::string("r-") + d}, 0, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  int inside = 0, outside = 0;
  for (int i = 0; i < kImages; ++i) {
    const std::string name = fmt::format("{:02d}-{:04d}.png", i, i);
    const io::Image base = decode(dir_ / "r-base" / name);
    const io::Image all = decode(dir_ / "r-blur-all" / name);
    const io::Image part_image = decode(dir_ / "r-blur-1" / name);
    const io::Image labels = label_image(i);
    ASSERT_EQ(part_image.rgb.size(), base.rgb.size()) << name;
    for (std::size_t p = 0; p < base.rgb.size() / 3; ++p) {
      const bool in = labels.rgb[3 * p] == 1;
      (in ? inside : outside) += 1;
      for (std::size_t c = 0; c < 3; ++c)
        ASSERT_EQ(part_image.rgb[3 * p + c], (in ? all : base).rgb[3 * p + c])
            << name << " pixel " << p;
    }
  }
  EXPECT_GT(inside, 0);
  EXPECT_GT(outside, 0);

  // validate prints the region.
  r = run_gensweep({"validate", "job.toml"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("region = { mask = \"labels\", values = [0, 1, 2] }\n"), std::string::npos)
      << r.out;
}

// Stores of a region or mixture dataset go stale exactly when an ingredient they use changes.
TEST_F(MixtureRegion, StoresGoStaleWhenAnIngredientUsedChanges) {
  write_job(R"(
[[datasets]]
id = "blur-1"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
region = { mask = "labels", values = [1] }

[[datasets]]
id = "mix-half"
source = "mixture"
base = "base"
counterfactual = "cf"
proportion = 0.5
size = 24
seed = 5
)",
            R"("blur-1", "mix-half")");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto states = [&] {
    const auto status = run_gensweep({"status", "job.toml", "--json"}, 0, dir_.path());
    EXPECT_EQ(status.exit_code, 0) << status.err;
    std::map<std::string, std::string> out;
    const auto parsed = nlohmann::json::parse(status.out);
    for (const auto& s : parsed.at("stores"))
      out[s.at("dataset").get<std::string>()] = s.at("state").get<std::string>();
    return out;
  };
  EXPECT_EQ(states()["blur-1"], "complete");
  EXPECT_EQ(states()["mix-half"], "complete");

  // A counterfactual image the draw did not take: nothing changes.
  const auto drawn = store::FeatureStore::open_read(store("mix-half")).read_ids();
  int unused = 0;
  while (std::find(drawn.begin(), drawn.end(), fmt::format("{:04d}.png", unused)) != drawn.end())
    ++unused;
  fs::copy_file(cifar(300), dir_ / "cf" / fmt::format("{:04d}.png", unused),
                fs::copy_options::overwrite_existing);
  EXPECT_EQ(states()["mix-half"], "complete");
  // The first image of the set is a counterfactual (they come first): its change makes it stale.
  fs::copy_file(cifar(301), dir_ / "cf" / drawn[0], fs::copy_options::overwrite_existing);
  EXPECT_EQ(states()["mix-half"], "stale");
  EXPECT_EQ(states()["blur-1"], "complete");
  // Another label image: the region's store is stale.
  write_png(dir_ / "labels" / "0005.png", label_image(6));
  EXPECT_EQ(states()["blur-1"], "stale");
  r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("attribute 'dataset_fingerprint'"), std::string::npos) << r.err;
}

TEST_F(MixtureRegion, LabelImageOfAnotherSizeFailsThatImageOnly) {
  write_png(dir_ / "labels" / "0007.png", label_image(7, 16));
  write_job(R"(
[[datasets]]
id = "blur-1"
source = "derived"
base = "base"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
region = { mask = "labels", values = [1] }
)",
            R"("blur-1")", "max_failed_images = 1");
  const auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto s = store::FeatureStore::open_read(store("blur-1"));
  const auto failures = s.read_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].row, 7);
  // The extraction puts the image's id before every failure's reason.
  EXPECT_EQ(
      failures[0].reason,
      "0007.png: image \"0007.png\" of \"base\" is 32 x 32 but its label image \"0007.png\" of "
      "\"labels\" is 16 x 16");
  const auto valid = s.read_valid();
  EXPECT_EQ(std::count(valid.begin(), valid.end(), 1), kImages - 1);
}

// A study job over this fixture's sets: a reference folder of other CIFAR images, then `study`.
std::string study_job(const std::string& study) {
  return fmt::format(R"([job]
name = "studies"
output = "out"

[compute]
batch_size = 16
threads = 2

[[datasets]]
id = "real"
source = "folder"
path = "real"

[[datasets]]
id = "base"
source = "folder"
path = "base"

[[datasets]]
id = "cf"
source = "folder"
path = "cf"

[[datasets]]
id = "labels"
source = "folder"
path = "labels"

[[backbones]]
id = "pix"
kind = "pixels"
size = 16

[[studies]]
{})",
                     study);
}

// Entries of a run by evaluated dataset (one backbone, one metric).
std::map<std::string, double> fd_by_evaluated(const nlohmann::json& doc) {
  std::map<std::string, double> out;
  for (const auto& e : doc["entries"])
    out[e["evaluated"].get<std::string>()] = e["value"].get<double>();
  return out;
}

TEST_F(MixtureRegion, MixturesStudyReportsTheMeanAndSampleSpreadOfItsDraws) {
  fs::create_directories(dir_ / "real");
  for (int i = 0; i < 30; ++i)
    fs::copy_file(cifar(300 + i), dir_ / "real" / fmt::format("{:04d}.png", i));
  write_text(dir_ / "job.toml", study_job(R"(id = "m"
kind = "mixtures"
reference = "real"
base = "base"
counterfactuals = ["cf"]
proportions = [0, 0.5, 1]
size = 24
draws = 3
seed = 11
normalise_by = { counterfactual = "cf", proportion = 1 }
)"));
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(read_text(dir_ / "out" / "results.json"));
  const auto fd = fd_by_evaluated(doc);
  ASSERT_EQ(fd.size(), 9u);  // 3 proportions x 3 draws
  const auto& values = doc["studies"][0]["values"];
  ASSERT_EQ(values.size(), 3u);
  double at_one = 0;
  for (const auto& v : values) {
    const std::string p = config_level(v["level"].get<double>());
    std::vector<double> draws;
    for (int d = 0; d < 3; ++d)
      draws.push_back(fd.at(fmt::format("m.cf.p{}.d{}", p, d)));
    const double mean = (draws[0] + draws[1] + draws[2]) / 3;
    double squares = 0;
    for (double x : draws)
      squares += (x - mean) * (x - mean);
    EXPECT_EQ(v["draws"], 3);
    EXPECT_DOUBLE_EQ(v["value"].get<double>(), mean) << v;
    EXPECT_DOUBLE_EQ(v["std"].get<double>(), std::sqrt(squares / 2)) << v;
    if (p == "1") at_one = mean;
    // Different seeds draw different sets: the draws differ.
    EXPECT_GT(v["std"].get<double>(), 0) << v;
  }
  for (const auto& v : values)
    EXPECT_DOUBLE_EQ(v["normalised"].get<double>(), v["value"].get<double>() / at_one);
  EXPECT_EQ(doc["studies"][0]["factor_name"], "counterfactual");
  const std::string md = read_text(dir_ / "out" / "results.md");
  EXPECT_NE(md.find("Mean ± standard deviation over the seeded draws."), std::string::npos) << md;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "figures" / "study_m_fd_by_proportion.png"));
}

TEST_F(MixtureRegion, RegionsStudyIsNormalisedByTheWholeImage) {
  fs::create_directories(dir_ / "real");
  for (int i = 0; i < 30; ++i)
    fs::copy_file(cifar(300 + i), dir_ / "real" / fmt::format("{:04d}.png", i));
  write_text(dir_ / "job.toml", study_job(R"(id = "r"
kind = "regions"
reference = "real"
base = "base"
mask = "labels"
distortion = { kind = "gaussian_blur", sigma = 2.0 }
regions = { rect = [1], bottom = [2], everything = [0, 1, 2] }
)"));
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(read_text(dir_ / "out" / "results.json"));
  const auto& study = doc["studies"][0];
  EXPECT_EQ(study["factors"], nlohmann::json({"rect", "bottom", "everything", "whole"}));
  std::map<std::string, nlohmann::json> by_region;
  for (const auto& v : study["values"])
    by_region[v["factor"]] = v;
  // A region holding every label is the whole-image distortion, bit for bit.
  EXPECT_EQ(by_region["everything"]["value"], by_region["whole"]["value"]);
  EXPECT_EQ(by_region["whole"]["normalised"], 1.0);
  for (const char* region : {"rect", "bottom"}) {
    const double value = by_region[region]["value"].get<double>();
    EXPECT_EQ(by_region[region]["normalised"].get<double>(),
              value / by_region["whole"]["value"].get<double>());
    // A part of the image is not all of it: these sets differ from the whole-image blur.
    EXPECT_NE(value, by_region["whole"]["value"].get<double>()) << region;
  }
  EXPECT_TRUE(fs::exists(dir_ / "out" / "studies.csv"));
}

}  // namespace
}  // namespace gensweep::testing
