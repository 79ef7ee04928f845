// Incremental reductions through the real binary: a job with two evaluated datasets, then the
// same job with a third. The second run computes exactly the new rows (results.json "cache" and
// the log say so; reused entries carry diagnostics.cached), reads the reference structures (k-NN
// radii, the GMM fit) from the side files next to the reference stores, and every number and
// per-sample array equals, bit for bit, a fresh run of the three-dataset job in another output
// directory. A rebuilt store invalidates its rows and reference structures; a corrupted row-cache
// file or a missing per-sample file is ignored (info log) and its item recomputed. Adding a
// dataset under mpirun with 2 ranks gives the serial numbers.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <bit>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "gensweep/store/per_sample_file.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string job_text(const std::string& evaluated, const std::string& backbones) {
  return fmt::format(R"([job]
name = "incremental"
output = "out"
presets = "{}"

[compute]
threads = 1
unit_size = 8

[[datasets]]
id = "real"
source = "folder"
path = "real"

[[datasets]]
id = "clean"
source = "folder"
path = "gen"

[[datasets]]
id = "blur"
source = "derived"
base = "clean"
distortion = {{ kind = "gaussian_blur", sigma = 1.5 }}

[[datasets]]
id = "noise"
source = "derived"
base = "clean"
distortion = {{ kind = "gaussian_noise", sigma = 16.0 }}
seed = 1

[[backbones]]
id = "pix"
preset = "pixels-32"

[[backbones]]
id = "cnn"
preset = "random-cnn-512"

[[comparisons]]
reference = "real"
evaluated = [{}]
backbones = [{}]
metrics = ["fd", "kid", "precision", "recall", "density", "coverage", "rarity", "giqa_gmm"]

[comparisons.parameters]
giqa_gmm = {{ components = 2, pca = 0.9, max_iter = 20 }}
)",
                     (source_dir() / "configs").string(), evaluated, backbones);
}

constexpr const char* kTwo = R"("clean", "blur")";
constexpr const char* kThree = R"("clean", "blur", "noise")";
// fd, kid, the k-NN group and the GMM group per (evaluated, backbone).
constexpr int kGroups = 4;

struct JobRun {
  CommandResult command;
  nlohmann::json results;
  // (evaluated, backbone, metric) -> entry
  std::map<std::tuple<std::string, std::string, std::string>, nlohmann::json> entries;
  std::int64_t cache(const char* key) const {
    return results.at("cache").at(key).get<std::int64_t>();
  }
};

class Incremental : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto* where : {"inc", "fresh"}) {
      copy_cifar_images(dir_ / where / "real", 0, 24);
      copy_cifar_images(dir_ / where / "gen", 24, 16);
    }
  }

  JobRun run(const std::string& where, const char* evaluated, int ranks = 0,
             const std::string& backbones = R"("pix", "cnn")") {
    write_text(dir_ / where / "job.toml", job_text(evaluated, backbones));
    const std::vector<std::string> args = {"run", "job.toml"};
    JobRun r;
    r.command = run_gensweep(args, ranks, dir_ / where);
    EXPECT_EQ(r.command.exit_code, 0) << r.command.err;
    if (r.command.exit_code != 0) return r;
    r.results = read_json(dir_ / where / "out" / "results.json");
    for (const auto& e : r.results.at("entries")) {
      r.entries[{e.at("evaluated").get<std::string>(), e.at("backbone").get<std::string>(),
                 e.at("metric").get<std::string>()}] = e;
    }
    return r;
  }

  fs::path out(const std::string& where) const { return dir_ / where / "out"; }

  TempDir dir_{"gensweep-incremental"};
};

std::uint64_t bits(const nlohmann::json& value) {
  return std::bit_cast<std::uint64_t>(value.get<double>());
}

// Every value of `a` is the value of `b` bit for bit (results.json holds each double in its
// shortest round-trip form, so parsing gives back the exact double), and so is every per-sample
// array.
void expect_same_numbers(const JobRun& a, const JobRun& b, const fs::path& a_out,
                         const fs::path& b_out) {
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (const auto& [key, e] : a.entries) {
    const auto& f = b.entries.at(key);
    const auto what = fmt::format("{} {} {}", std::get<0>(key), std::get<1>(key), std::get<2>(key));
    ASSERT_EQ(e.at("value").is_null(), f.at("value").is_null()) << what;
    if (!e.at("value").is_null()) {
      EXPECT_EQ(bits(e.at("value")), bits(f.at("value"))) << what;
    }
  }
  ASSERT_EQ(a.results.at("per_sample").size(), b.results.at("per_sample").size());
  for (const auto& p : a.results.at("per_sample")) {
    const auto name = fs::path(p.at("path").get<std::string>()).filename();
    const auto x = store::read_per_sample_file(a_out / "per_sample" / name);
    const auto y = store::read_per_sample_file(b_out / "per_sample" / name);
    ASSERT_EQ(x.reals.size(), y.reals.size()) << name;
    for (const auto& [array, values] : x.reals) {
      const auto& other = y.reals.at(array);
      ASSERT_EQ(values.size(), other.size()) << name << " " << array;
      for (std::size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(std::bit_cast<std::uint64_t>(values[i]), std::bit_cast<std::uint64_t>(other[i]))
            << name << " " << array << "[" << i << "]";
    }
    EXPECT_EQ(x.integers, y.integers) << name;
  }
}

// Which (evaluated, backbone) entries were reused.
std::set<std::pair<std::string, std::string>> reused_rows(const JobRun& r) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [key, e] : r.entries) {
    if (e.at("diagnostics").value("cached", false))
      out.insert({std::get<0>(key), std::get<1>(key)});
  }
  return out;
}

using Rows = std::set<std::pair<std::string, std::string>>;

TEST_F(Incremental, AddingADatasetComputesOnlyItsRowsBitForBitAsAFreshRun) {
  // 1. Two evaluated datasets: everything computed, reference structures written once per
  // backbone (radii for k = 3 and 5, one GMM fit).
  const JobRun first = run("inc", kTwo);
  ASSERT_EQ(first.command.exit_code, 0);
  EXPECT_EQ(first.cache("items"), 2 * 2 * kGroups);
  EXPECT_EQ(first.cache("reused"), 0);
  EXPECT_EQ(first.cache("computed"), 2 * 2 * kGroups);
  EXPECT_EQ(first.cache("reference_computed"), 2 * 3);
  EXPECT_EQ(first.cache("reference_loaded"), 0);
  EXPECT_TRUE(reused_rows(first).empty());
  EXPECT_TRUE(fs::exists(out("inc") / "stores" / "real" / "pix.h5.refcache.h5"));
  EXPECT_TRUE(fs::exists(out("inc") / "stores" / "real" / "cnn.h5.refcache.h5"));

  // 2. The third dataset: only its rows are computed, with the cached reference structures.
  const JobRun second = run("inc", kThree);
  ASSERT_EQ(second.command.exit_code, 0);
  EXPECT_EQ(second.cache("items"), 3 * 2 * kGroups);
  EXPECT_EQ(second.cache("reused"), 2 * 2 * kGroups);
  EXPECT_EQ(second.cache("computed"), 2 * kGroups);
  EXPECT_EQ(second.cache("reference_loaded"), 2 * 3);
  EXPECT_EQ(second.cache("reference_computed"), 0);
  EXPECT_NE(second.command.err.find("16 of 24 items reused, 8 to compute"), std::string::npos)
      << second.command.err;
  EXPECT_EQ(reused_rows(second),
            (Rows{{"clean", "pix"}, {"clean", "cnn"}, {"blur", "pix"}, {"blur", "cnn"}}));
  for (const auto& [key, e] : second.entries) {
    const bool old = std::get<0>(key) != "noise";
    EXPECT_EQ(e.at("diagnostics").contains("cached"), old) << std::get<0>(key);
    if (old) {
      // The original computation's diagnostics, timings included.
      EXPECT_EQ(e.at("diagnostics").at("cached_utc").get<std::string>().size(), 20u);
      auto original = first.entries.at(key).at("diagnostics");
      auto reused = e.at("diagnostics");
      reused.erase("cached");
      reused.erase("cached_utc");
      EXPECT_EQ(reused, original) << std::get<0>(key) << " " << std::get<2>(key);
    }
  }
  // results.json with reused entries and the cache summary is valid against the schema.
  const auto check =
      fmt::format("/usr/bin/python3 '{}' --schema '{}' --results '{}' >/dev/null",
                  (source_dir() / "tests" / "report" / "check_results_schema.py").string(),
                  (source_dir() / "results_schema" / "results.schema.json").string(),
                  (out("inc") / "results.json").string());
  const int status = std::system(check.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  EXPECT_TRUE(code == 0 || code == 77) << check;  // 77: python3-jsonschema is not installed
  // The new rows' k-NN pass took the reference radii from the side file.
  const auto& engine =
      second.entries.at({"noise", "pix", "precision"}).at("diagnostics").at("engine");
  EXPECT_EQ(engine.at("reference_knn").at("precomputed"), true);

  // 3. A fresh run of the three-dataset job elsewhere: the same numbers, bit for bit.
  const JobRun fresh = run("fresh", kThree);
  ASSERT_EQ(fresh.command.exit_code, 0);
  EXPECT_EQ(fresh.cache("reused"), 0);
  expect_same_numbers(second, fresh, out("inc"), out("fresh"));

  // 4. A rebuilt store (the reference in one backbone, same images: only its creation differs),
  // a corrupted row-cache file and a missing per-sample file. The rebuilt store's rows and
  // reference structures are recomputed; the corrupted entry and the groups whose arrays were in
  // the missing file are ignored (info log) and recomputed; everything else is reused.
  fs::remove(out("inc") / "stores" / "real" / "cnn.h5");
  fs::path corrupted;
  for (const auto& e : fs::directory_iterator(out("inc") / "cache" / "rows")) {
    if (e.path().filename().string().rfind("clean__vs__real__pix__fd__", 0) == 0)
      corrupted = e.path();
  }
  ASSERT_FALSE(corrupted.empty());
  write_text(corrupted, "{\"format\": \"gensweep-row-cache\", \"format_version\": 1, \"key\": ");
  fs::remove(out("inc") / "per_sample" / "noise__vs__real__pix.h5");
  const JobRun repaired = run("inc", kThree);
  ASSERT_EQ(repaired.command.exit_code, 0);
  // cnn: every group of 3 rows; pix: fd of clean, the k-NN and GMM groups of noise.
  EXPECT_EQ(repaired.cache("computed"), 3 * kGroups + 1 + 2);
  EXPECT_EQ(repaired.cache("reused"), 3 * kGroups - 1 - 2);
  EXPECT_EQ(repaired.cache("reference_computed"), 3);  // cnn: radii k = 3, 5 and the GMM
  EXPECT_EQ(repaired.cache("reference_loaded"), 3);    // pix: the same, from the side file
  EXPECT_EQ(reused_rows(repaired), (Rows{{"clean", "pix"}, {"blur", "pix"}, {"noise", "pix"}}));
  EXPECT_NE(repaired.command.err.find("reference.created_utc was"), std::string::npos)
      << repaired.command.err;
  EXPECT_NE(repaired.command.err.find("cnn.h5.refcache.h5: made for other inputs"),
            std::string::npos)
      << repaired.command.err;
  EXPECT_NE(repaired.command.err.find(corrupted.filename().string() + ": not reused (malformed"),
            std::string::npos)
      << repaired.command.err;
  EXPECT_NE(repaired.command.err.find("noise__vs__real__pix.h5 is missing"), std::string::npos)
      << repaired.command.err;
  auto cached = [&](const char* evaluated, const char* backbone, const char* metric) {
    return repaired.entries.at({evaluated, backbone, metric}).at("diagnostics").contains("cached");
  };
  EXPECT_FALSE(cached("clean", "pix", "fd"));
  EXPECT_TRUE(cached("clean", "pix", "kid"));
  EXPECT_FALSE(cached("noise", "pix", "rarity"));
  EXPECT_FALSE(cached("noise", "pix", "giqa_gmm"));
  EXPECT_TRUE(cached("noise", "pix", "fd"));
  EXPECT_FALSE(cached("blur", "cnn", "kid"));
  expect_same_numbers(repaired, fresh, out("inc"), out("fresh"));

  // Rewritten: the next run reuses everything.
  const JobRun settled = run("inc", kThree);
  ASSERT_EQ(settled.command.exit_code, 0);
  EXPECT_EQ(settled.cache("computed"), 0);
  EXPECT_EQ(settled.cache("reused"), 3 * 2 * kGroups);
  expect_same_numbers(settled, fresh, out("inc"), out("fresh"));
}

// The same under mpirun (one backbone, to stay quick): rank 0 decides which items are reused and
// every rank skips the same collective k-NN groups (a disagreement would hang); 2 ranks give the
// serial numbers bit for bit.
TEST_F(Incremental, TwoRanksAgreeOnTheCacheAndGiveTheSameBits) {
  const std::string cnn = R"("cnn")";
  const JobRun first = run("inc", kTwo, 2, cnn);
  ASSERT_EQ(first.command.exit_code, 0);
  EXPECT_EQ(first.cache("computed"), 2 * kGroups);
  // Radii k = 3, 5 and one GMM fit, each made once (the fit by one rank before the items).
  EXPECT_EQ(first.cache("reference_computed"), 3);
  const JobRun second = run("inc", kThree, 2, cnn);
  ASSERT_EQ(second.command.exit_code, 0);
  EXPECT_EQ(second.cache("reused"), 2 * kGroups);
  EXPECT_EQ(second.cache("computed"), kGroups);
  EXPECT_EQ(second.cache("reference_loaded"), 3);
  EXPECT_EQ(reused_rows(second), (Rows{{"clean", "cnn"}, {"blur", "cnn"}}));
  const JobRun fresh = run("fresh", kThree, 0, cnn);  // serial, nothing cached
  ASSERT_EQ(fresh.command.exit_code, 0);
  EXPECT_EQ(fresh.cache("reused"), 0);
  expect_same_numbers(second, fresh, out("inc"), out("fresh"));
}

}  // namespace
}  // namespace gensweep::testing
