// A corruption study end to end: the real binary expands it, extracts every cell, and writes the
// study's tables, CSVs and figures; under 2 ranks every number is the same bits as under one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "support.h"

namespace gensweep::testing {
namespace {

class StudyRun : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_cifar_images(dir_ / "real", 0, 24);
    copy_cifar_images(dir_ / "base", 400, 24);
    write_text(dir_ / "job.toml", R"(
[job]
name = "study"
output = "out"

[compute]
batch_size = 5
threads = 1
unit_size = 8

[[datasets]]
id = "real"
source = "folder"
path = "real"

[[datasets]]
id = "base"
source = "folder"
path = "base"

[[backbones]]
id = "pix"
kind = "pixels"
size = 8

[[backbones]]
id = "cnn"
kind = "random-cnn"
dim = 16
width = 4
input_size = 32
seed = 3

[[studies]]
id = "sweep"
kind = "corruptions"
reference = "real"
base = "base"
corruptions = ["gaussian_noise", "brightness", "spatter", "pixelate"]
severities = [1, 3, 5]
corruption_parameters = "cifar"
seed = 4
normalise_by = { corruption = "brightness", severity = 5 }
)");
  }
  TempDir dir_{"gensweep-study"};
};

nlohmann::json results_of(const std::filesystem::path& dir) {
  return nlohmann::json::parse(read_text(dir / "results.json"));
}

TEST_F(StudyRun, WritesTheStudysTablesAndFiguresAndTheSameBitsUnderTwoRanks) {
  auto one = run_gensweep({"run", "job.toml", "--output", "out1"}, 0, dir_.path());
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // The printed tables include the study's.
  EXPECT_NE(one.out.find("## study sweep: fd of base by corruption and severity"),
            std::string::npos)
      << one.out;
  EXPECT_NE(one.out.find("### agreement of the feature spaces' rankings by fd"), std::string::npos);

  const auto out = dir_ / "out1";
  const nlohmann::json doc = results_of(out);
  ASSERT_EQ(doc["studies"].size(), 1u);
  const auto& study = doc["studies"][0];
  // 1 base + 4 x 3 cells, 2 spaces, 1 metric.
  ASSERT_EQ(study["values"].size(), 26u);
  // Each study value is the comparison's entry for that cell, and normalised by the named cell.
  std::map<std::pair<std::string, std::string>, double> entries, divisor;
  for (const auto& e : doc["entries"])
    entries[{e["evaluated"], e["backbone"]}] = e["value"].get<double>();
  for (const auto& b : {"pix", "cnn"})
    divisor[{"", b}] = entries.at({"sweep.brightness.s5", b});
  for (const auto& v : study["values"]) {
    const double value = entries.at({v["dataset"], v["backbone"]});
    EXPECT_EQ(v["value"].get<double>(), value) << v;
    EXPECT_EQ(v["normalised"].get<double>(), value / divisor.at({"", v["backbone"]})) << v;
    EXPECT_TRUE(std::isfinite(value));
  }
  // Stronger corruption moves the pixels further from the reference for brightness (a global
  // shift that grows with severity).
  auto value_at = [&](const std::string& dataset, const std::string& backbone) {
    return entries.at({dataset, backbone});
  };
  EXPECT_LT(value_at("sweep.brightness.s1", "pix"), value_at("sweep.brightness.s5", "pix"));
  // A ranking and an agreement per metric with a direction; a space agrees with itself.
  EXPECT_EQ(study["rankings"].size(), 2u);
  EXPECT_EQ(study["rankings"][0]["factors"].size(), 4u);
  EXPECT_EQ(study["agreements"][0]["kendall_tau"][0], 1.0);

  // The plain fd table shows the base but not the 12 cells; the files are there.
  const std::string md = read_text(out / "results.md");
  const std::string plain_tables = md.substr(0, md.find("## study"));
  EXPECT_NE(plain_tables.find("| base "), std::string::npos) << md;
  EXPECT_EQ(plain_tables.find("| sweep.gaussian_noise.s1"), std::string::npos) << md;
  for (const char* f :
       {"studies.csv", "study_agreement.csv", "figures/study_sweep_fd_by_severity.png",
        "figures/study_sweep_fd_agreement.svg", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  const std::string csv = read_text(out / "studies.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 26);
  const std::string tex = read_text(out / "results.tex");
  EXPECT_NE(tex.find("Kendall's $\\tau_b$"), std::string::npos);
  auto cmd =
      fmt::format("/usr/bin/python3 -m jsonschema -i '{}' '{}'", (out / "results.json").string(),
                  (source_dir() / "results_schema" / "results.schema.json").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // Two ranks: the same study, number for number (shortest round-trip text = the same bits).
  auto two = run_gensweep({"run", "job.toml", "--quiet", "--output", "out2"}, 2, dir_.path());
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(results_of(dir_ / "out2")["studies"][0], study);
  EXPECT_EQ(read_text(dir_ / "out2" / "studies.csv"), csv);
}

TEST_F(StudyRun, AWrongStudyKeyIsRefusedBeforeAnyWork) {
  std::string text = read_text(dir_ / "job.toml");
  text.replace(text.find("severities = [1, 3, 5]"), 22, "severities = [1, 3, 6]");
  write_text(dir_ / "bad.toml", text);
  auto r = run_gensweep({"run", "bad.toml"}, 0, dir_.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("studies[0].severities[2]: expected an integer in 1..5"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "stores"));
}

}  // namespace
}  // namespace gensweep::testing
