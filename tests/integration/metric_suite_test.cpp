// The whole metric suite from a job file through `gensweep run`, alone and under mpirun: the
// golden gauss_d64 features (tests/data/golden, the reference tools' outputs) as two external
// feature datasets. Checks the published numbers and per-sample files against the golden values,
// that 1, 2 and 3 ranks give the same numbers and per-sample arrays bit for bit, that results.json
// lists the per-sample file, and `gensweep compare --metrics ... --param ... --per-sample`.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "gensweep/store/per_sample_file.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

fs::path golden_dir() {
  return source_dir() / "tests" / "data" / "golden" / "gauss_d64";
}

constexpr const char* kMetrics =
    R"(["fd", "kid", "is", "precision", "recall", "density", "coverage", "rarity", "giqa_knn", "giqa_gmm", "qs", "ds", "fd_inf", "cmmd", "vendi"])";

std::string job_text() {
  const std::string h5 = (golden_dir() / "data.h5").string();
  return fmt::format(R"([job]
name = "suite"
output = "out"

[compute]
threads = 1

[[datasets]]
id = "real"
source = "features"
path = "{0}:/real"
backbone = "given"

[[datasets]]
id = "fake"
source = "features"
path = "{0}:/fake"
backbone = "given"

[[backbones]]
id = "given"
kind = "external"
dim = 64

[[comparisons]]
reference = "real"
evaluated = ["fake"]
metrics = {1}

[comparisons.parameters]
kid = {{ full = true }}
fd_inf = {{ min_n = 500 }}
)",
                     h5, kMetrics);
}

class MetricSuite : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir_ / "job.toml", job_text()); }

  // results.json entries by metric, after `gensweep run` (under mpirun when ranks > 0).
  std::map<std::string, nlohmann::json> run(const fs::path& where, int ranks) {
    fs::create_directories(where);
    fs::copy_file(dir_ / "job.toml", where / "job.toml", fs::copy_options::overwrite_existing);
    auto r = run_gensweep({"run", "job.toml", "--quiet"}, ranks, where);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::map<std::string, nlohmann::json> by_metric;
    const auto results = read_json(where / "out" / "results.json");
    for (const auto& e : results.at("entries"))
      by_metric[e.at("metric").get<std::string>()] = e;
    return by_metric;
  }

  TempDir dir_{"gensweep-metric-suite"};
};

TEST_F(MetricSuite, GoldenValuesThroughTheWholePipeline) {
  const auto golden = read_json(golden_dir() / "expected.json");
  auto e = run(dir_ / "one", 0);
  ASSERT_EQ(e.size(), 15u);
  auto value = [&](const char* m) { return e.at(m).at("value").get<double>(); };
  EXPECT_NEAR(value("fd"), golden["fd"]["pytorch_fid"]["value"].get<double>(), 1e-9 * value("fd"));
  const double kid = golden["kid"]["torch_fidelity_kernel_mmd_full_float64"]["value"];
  EXPECT_NEAR(value("kid"), kid, 1e-10 * std::fabs(kid));
  // prdc (strict) and torch-fidelity (inclusive) agree on these features: no distance ties.
  EXPECT_EQ(value("precision"), golden["prdc"]["k3"]["reference_float64_inputs"]["precision"]);
  EXPECT_EQ(value("recall"), golden["prdc"]["k3"]["reference_float64_inputs"]["recall"]);
  EXPECT_EQ(value("density"), golden["prdc"]["k5"]["reference_float64_inputs"]["density"]);
  EXPECT_EQ(value("coverage"), golden["prdc"]["k5"]["reference_float64_inputs"]["coverage"]);
  EXPECT_EQ(e.at("rarity").at("diagnostics").at("discarded").get<std::int64_t>(),
            golden["rarity"]["k3"]["num_discarded"].get<std::int64_t>());
  const double rarity_mean = golden["rarity"]["k3"]["mean_score_over_kept"];
  EXPECT_NEAR(value("rarity"), rarity_mean, 1e-12 * rarity_mean);
  // 64 features are not Inception's 1008 logits: the score is computed and says so.
  EXPECT_GE(value("is"), 1.0);
  EXPECT_NE(e.at("is").at("diagnostics").at("notes").dump().find("not the 1008 logits"),
            std::string::npos);
  // KID's parameters are recorded as used.
  EXPECT_EQ(e.at("kid").at("diagnostics").at("parameters").at("full"), true);
  EXPECT_EQ(e.at("precision").at("diagnostics").at("parameters").at("k"), 3);

  // The per-sample file: rarity and KNN-GIQA against the references' per-image values.
  const auto results = read_json(dir_ / "one" / "out" / "results.json");
  ASSERT_EQ(results.at("per_sample").size(), 1u);
  const auto per = store::read_per_sample_file(results["per_sample"][0]["path"].get<std::string>());
  const auto& rarity = per.reals.at("rarity");
  const auto expected_rarity = golden["rarity"]["k3"]["scores"].get<std::vector<double>>();
  ASSERT_EQ(rarity.size(), expected_rarity.size());
  for (std::size_t i = 0; i < rarity.size(); ++i) {
    if (expected_rarity[i] == 0) {
      EXPECT_EQ(rarity[i], 0) << "fake " << i << " should be discarded";
    } else {
      EXPECT_NEAR(rarity[i], expected_rarity[i], 1e-12 * expected_rarity[i]) << "fake " << i;
    }
  }
  const auto& giqa = per.reals.at("giqa_knn");
  const auto expected_giqa = golden["giqa"]["knn_K1"]["scores"].get<std::vector<double>>();
  ASSERT_EQ(giqa.size(), expected_giqa.size());
  for (std::size_t i = 0; i < giqa.size(); ++i)
    EXPECT_NEAR(giqa[i], expected_giqa[i], 1e-6 * expected_giqa[i]) << "fake " << i;
  for (const char* name : {"realism", "nn_index", "nn_distance", "giqa_gmm", "reference_radius_k3",
                           "reference_radius_k5"}) {
    EXPECT_TRUE(per.reals.count(name) || per.integers.count(name)) << name;
  }
  EXPECT_EQ(per.reals.at("reference_radius_k3").size(), 2000u);
}

TEST_F(MetricSuite, RanksDoNotChangeAnyNumberOrPerSampleArray) {
  auto one = run(dir_ / "one", 0);
  const auto per_one =
      store::read_per_sample_file(dir_ / "one" / "out" / "per_sample" / "fake__vs__real__given.h5");
  for (int ranks : {2, 3}) {
    SCOPED_TRACE(fmt::format("{} ranks", ranks));
    const fs::path where = dir_ / fmt::format("r{}", ranks);
    auto many = run(where, ranks);
    ASSERT_EQ(many.size(), one.size());
    for (const auto& [metric, entry] : one) {
      // Exact doubles: results.json holds shortest round-trip text.
      EXPECT_EQ(many.at(metric).at("value"), entry.at("value")) << metric;
    }
    const auto per =
        store::read_per_sample_file(where / "out" / "per_sample" / "fake__vs__real__given.h5");
    EXPECT_EQ(per.reals, per_one.reals);
    EXPECT_EQ(per.integers, per_one.integers);
  }
}

TEST_F(MetricSuite, CompareTakesMetricsParametersAndWritesPerSample) {
  const std::string h5 = (golden_dir() / "data.h5").string();
  auto r =
      run_gensweep({"compare", h5 + ":/real", h5 + ":/fake", "--metrics", "precision,recall,rarity",
                    "--param", "precision.k=5", "--param", "recall.k=5,rarity.k=5", "--per-sample",
                    (dir_ / "ps.h5").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto golden = read_json(golden_dir() / "expected.json");
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["metrics"]["precision"],
            golden["prdc"]["k5"]["reference_float64_inputs"]["precision"]);
  EXPECT_EQ(j["metrics"]["recall"], golden["prdc"]["k5"]["reference_float64_inputs"]["recall"]);
  const auto per = store::read_per_sample_file(dir_ / "ps.h5");
  const auto expected = golden["rarity"]["k5"]["scores"].get<std::vector<double>>();
  ASSERT_EQ(per.reals.at("rarity").size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(per.reals.at("rarity")[i], expected[i], 1e-12 * expected[i]) << i;
}

TEST_F(MetricSuite, ConflictingSharedParametersAndBadFlagsAreRefused) {
  write_text(dir_ / "bad.toml", job_text() + "precision = { k = 5 }\nrecall = { k = 3 }\n");
  auto r = run_gensweep({"validate", "bad.toml"}, 0, dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("precision.k = 5 but recall.k = 3"), std::string::npos) << r.err;
  const std::string h5 = (golden_dir() / "data.h5").string();
  r = run_gensweep(
      {"compare", h5 + ":/real", h5 + ":/fake", "--metrics", "fd", "--param", "kid.subsets=5"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("metric 'kid' is not among --metrics"), std::string::npos) << r.err;
  r = run_gensweep({"compare", h5 + ":/real", h5 + ":/fake", "--metrics", "fd", "--per-sample",
                    (dir_ / "x.h5").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("none of the metrics fd has per-sample results"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace gensweep::testing
