// A stale store never reaches a table: after a job's inputs change (another backbone seed, an image
// changed or added on disk, the folder moved, or a store written with other preprocessing, rows or
// dimension), every command that uses the store decides the same: run, extract and reduce refuse
// with exit 5 naming the store and the attribute, status shows it stale with both values, submit
// refuses to submit; nothing already on disk is lost, and --rebuild recomputes exactly those
// stores, giving the numbers of a fresh run. Reruns of an unchanged job read no image.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kJob = R"(
[job]
name = "stale"
output = "out"

[compute]
threads = 1
unit_size = 4

[[datasets]]
id = "ref"
source = "folder"
path = "{folder}"

[[datasets]]
id = "ev"
source = "derived"
base = "ref"
distortion = {{ kind = "gaussian_blur", sigma = 1.0 }}

[[backbones]]
id = "pix"
kind = "pixels"
size = 4

[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 8
seed = {seed}
input_size = 16
width = 4

[[comparisons]]
reference = "ref"
evaluated = ["ev"]
backbones = ["pix", "cnn"]
metrics = ["fd"]
)";

double fd_of(const fs::path& results, const std::string& backbone) {
  const auto j = nlohmann::json::parse(read_text(results));
  for (const auto& e : j.at("entries"))
    if (e.at("backbone") == backbone && e.at("metric") == "fd") return e.at("value").get<double>();
  ADD_FAILURE() << "no fd in " << backbone;
  return 0;
}

class StaleStores : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_cifar_images(dir_ / "images", 100, 7);
    age_files(dir_ / "images");
    write_job("images", 3);
    const auto first = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
  }
  void write_job(const std::string& folder, int seed) {
    write_text(dir_ / "job.toml",
               fmt::format(kJob, fmt::arg("folder", folder), fmt::arg("seed", seed)));
  }
  fs::path store(const std::string& dataset, const std::string& backbone) const {
    return dir_.path() / "out" / "stores" / dataset / (backbone + ".h5");
  }
  CommandResult gensweep(const std::vector<std::string>& args) const {
    return run_gensweep(args, 0, dir_.path());
  }

  // Every command reaches the same verdict on `stale` (dataset/backbone pairs), naming
  // `attribute`; nothing on disk changes.
  void expect_every_command_refuses(const std::vector<std::pair<std::string, std::string>>& stale,
                                    const std::string& attribute) {
    const std::string results = read_text(dir_ / "out" / "results.json");
    std::map<fs::path, std::string> stores;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "out" / "stores"))
      if (e.path().extension() == ".h5") stores[e.path()] = read_text(e.path());
    const std::string named = "attribute '" + attribute + "'";
    for (const std::string command : {"run", "extract", "reduce"}) {
      SCOPED_TRACE(command);
      const auto r = gensweep({command, "job.toml", "--quiet"});
      EXPECT_EQ(r.exit_code, 5) << r.err;
      for (const auto& [dataset, backbone] : stale)
        EXPECT_NE(r.err.find(store(dataset, backbone).string()), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("--rebuild"), std::string::npos) << r.err;
    }
    {
      const auto r = gensweep({"status", "job.toml", "--json"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const auto j = nlohmann::json::parse(r.out);
      int stale_count = 0;
      for (const auto& s : j.at("stores")) {
        const std::pair<std::string, std::string> key{s.at("dataset"), s.at("backbone")};
        const bool expected_stale = std::find(stale.begin(), stale.end(), key) != stale.end();
        EXPECT_EQ(s.at("state"), expected_stale ? "stale" : "complete") << s.dump();
        if (!expected_stale) continue;
        ++stale_count;
        EXPECT_EQ(s.at("stale_attribute"), attribute) << s.dump();
        EXPECT_NE(s.at("stored_value"), s.at("expected_value")) << s.dump();
        EXPECT_NE(s.at("error").get<std::string>().find(named), std::string::npos) << s.dump();
      }
      EXPECT_EQ(stale_count, static_cast<int>(stale.size()));
      const auto text = gensweep({"status", "job.toml"});
      EXPECT_NE(text.out.find(fmt::format("{} stale", stale.size())), std::string::npos)
          << text.out;
    }
    {
      const auto r = gensweep({"submit", "job.toml", "--dry-run"});
      EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
      for (const auto& [dataset, backbone] : stale)
        EXPECT_NE(r.err.find(store(dataset, backbone).string()), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    }
    EXPECT_EQ(read_text(dir_ / "out" / "results.json"), results);
    for (const auto& [path, bytes] : stores)
      EXPECT_EQ(read_text(path), bytes) << path;  // refused, not rewritten
  }

  // --rebuild recomputes the stale stores; every number equals a fresh run's.
  void expect_rebuild_matches_a_fresh_run() {
    const auto rebuilt = gensweep({"run", "job.toml", "--quiet", "--rebuild"});
    ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
    const auto status = nlohmann::json::parse(gensweep({"status", "job.toml", "--json"}).out);
    EXPECT_EQ(status.at("store_counts").at("complete"), 4) << status.dump();
    const auto fresh = gensweep({"run", "job.toml", "--quiet", "--output", "fresh"});
    ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
    for (const std::string backbone : {"pix", "cnn"}) {
      const double ours = fd_of(dir_ / "out" / "results.json", backbone);
      const double reference = fd_of(dir_ / "fresh" / "results.json", backbone);
      EXPECT_EQ(ours, reference) << backbone;  // bit for bit: no cache served a stale row
    }
  }

  TempDir dir_{"gensweep-stale"};
};

TEST_F(StaleStores, AnotherBackboneSeedIsAnotherFeatureSpace) {
  const double before = fd_of(dir_ / "out" / "results.json", "cnn");
  write_job("images", 4);
  expect_every_command_refuses({{"ref", "cnn"}, {"ev", "cnn"}}, "backbone_identity");
  expect_rebuild_matches_a_fresh_run();
  EXPECT_NE(fd_of(dir_ / "out" / "results.json", "cnn"), before);
}

TEST_F(StaleStores, AnImageChangedOnDisk) {
  // Another image under the same name (and a restored modification time, as a copy tool may
  // leave it): the change time and size give it away without reading the other six.
  const auto path = dir_ / "images" / "0103.png";
  const auto mtime = fs::last_write_time(path);
  fs::copy_file(source_dir() / "data" / "cifar10-846" / "0500.png", path,
                fs::copy_options::overwrite_existing);
  fs::last_write_time(path, mtime);
  expect_every_command_refuses({{"ref", "pix"}, {"ref", "cnn"}, {"ev", "pix"}, {"ev", "cnn"}},
                               "dataset_fingerprint");
  expect_rebuild_matches_a_fresh_run();
}

TEST_F(StaleStores, AnImageAdded) {
  fs::copy_file(source_dir() / "data" / "cifar10-846" / "0600.png", dir_ / "images" / "0600.png");
  expect_every_command_refuses({{"ref", "pix"}, {"ref", "cnn"}, {"ev", "pix"}, {"ev", "cnn"}},
                               "dataset_fingerprint");
}

// The folder is part of the reference set's description; its blurred copy is described by its
// base's id and has the same content, so its stores stay valid.
TEST_F(StaleStores, TheSameImagesInAnotherFolder) {
  fs::copy(dir_ / "images", dir_ / "moved", fs::copy_options::recursive);
  write_job("moved", 3);
  expect_every_command_refuses({{"ref", "pix"}, {"ref", "cnn"}}, "dataset_source");
}

// Attributes no job edit changes alone (another gensweep version's preprocessing, a store cut to
// other rows or dimension) are written into the store as another version would have.
TEST_F(StaleStores, PreprocessingRowsAndDimensionAsRecorded) {
  for (const std::string attribute : {"preprocessing", "rows", "feature_dim"}) {
    SCOPED_TRACE(attribute);
    const auto path = store("ev", "pix");
    const std::string original = read_text(path);
    set_store_attribute(path, attribute, "12345");
    expect_every_command_refuses({{"ev", "pix"}}, attribute);
    write_text(path, original);
  }
}

// A complete job run again reads no image file; one changed image is the only one read.
TEST_F(StaleStores, RerunsReadNoImage) {
  const auto rerun = gensweep({"run", "job.toml", "--quiet"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(rerun.err.find("image files read"), std::string::npos) << rerun.err;
  EXPECT_NE(rerun.err.find("(reused)"), std::string::npos) << rerun.err;
  for (const std::string command : {"reduce", "status"}) {
    const auto r = gensweep({command, "job.toml"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("image files read"), std::string::npos) << command << ": " << r.err;
  }
  const auto verify = gensweep({"reduce", "job.toml", "--verify-inputs"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.err.find("7 of 7 image files read to fingerprint it (--verify-inputs)"),
            std::string::npos)
      << verify.err;
  fs::last_write_time(dir_ / "images" / "0102.png",
                      fs::last_write_time(dir_ / "images" / "0102.png") - std::chrono::hours(1));
  const auto touched = gensweep({"run", "job.toml", "--quiet"});
  EXPECT_EQ(touched.exit_code, 0) << touched.err;  // same bytes: the stores stay valid
  EXPECT_NE(touched.err.find("1 of 7 image files read"), std::string::npos) << touched.err;
}

// compare --cache is a cache: a store made from other images is rebuilt (with a warning naming
// the attribute), never used, and the numbers are those of a comparison without the cache.
TEST(CompareCache, StaleStoresAreRebuiltNotUsed) {
  TempDir dir("gensweep-compare-stale");
  copy_cifar_images(dir / "a", 0, 6);
  copy_cifar_images(dir / "b", 6, 6);
  age_files(dir.path());
  auto compare = [&](bool cached) {
    std::vector<std::string> args = {"compare", "a", "b", "--backbone", "pixels-32", "--json"};
    if (cached) args.insert(args.end(), {"--cache", "cache"});
    return run_gensweep(args, 0, dir.path());
  };
  ASSERT_EQ(compare(true).exit_code, 0);
  fs::copy_file(source_dir() / "data" / "cifar10-846" / "0700.png", dir / "a" / "0001.png",
                fs::copy_options::overwrite_existing);
  const auto cached = compare(true);
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_NE(cached.err.find("rebuilding"), std::string::npos) << cached.err;
  EXPECT_NE(cached.err.find("attribute 'dataset_fingerprint'"), std::string::npos) << cached.err;
  const auto fresh = compare(false);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(nlohmann::json::parse(cached.out).at("metrics").at("fd"),
            nlohmann::json::parse(fresh.out).at("metrics").at("fd"));
}

}  // namespace
}  // namespace gensweep::testing
