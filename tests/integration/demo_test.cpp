// The bundled demo job end to end: it runs, prints its table, writes results that validate against
// results_schema/results.schema.json, and its numbers behave as distortion strength says they must.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <regex>

#include "support.h"

namespace gensweep::testing {
namespace {

TEST(Demo, RunsEndToEndAndValidatesAgainstTheSchema) {
  TempDir out("gensweep-demo");
  auto r = run_gensweep(
      {"run", (source_dir() / "jobs" / "demo.toml").string(), "--output", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The Markdown table is printed, with a column per backbone.
  EXPECT_NE(r.out.find("| evaluated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| pixels32 | rcnn512 |"), std::string::npos) << r.out;
  for (const char* f : {"results.json", "results.csv", "results.md", "results.tex"}) {
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  }
  // The paper tables: one per metric, with the direction the metric table declares and the best
  // value of each column in bold.
  const std::string tex = read_text(out / "results.tex");
  EXPECT_NE(tex.find("\\caption{fd (lower is better) against real}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\caption{precision (higher is better) against real}"), std::string::npos);
  EXPECT_NE(tex.find("\\textbf{"), std::string::npos);
  // Schema validation with the reference validator (Debian's python3-jsonschema).
  auto cmd =
      fmt::format("/usr/bin/python3 -m jsonschema -i '{}' '{}'", (out / "results.json").string(),
                  (source_dir() / "results_schema" / "results.schema.json").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // Every FD is finite and non-negative, and with 423 images per set (N < D) every entry used the
  // exact nuclear-norm route.
  for (const auto& e : nlohmann::json::parse(read_text(out / "results.json"))["entries"]) {
    if (e["metric"] != "fd") continue;
    EXPECT_GE(e["value"].get<double>(), 0.0) << e;
    EXPECT_EQ(e["diagnostics"]["route"], "nuclear-norm") << e;
  }
  // Fractions stay fractions; every comparison has its per-sample file (rarity).
  const auto doc = nlohmann::json::parse(read_text(out / "results.json"));
  int fractions = 0;
  for (const auto& e : doc["entries"]) {
    if (e["metric"] != "precision" && e["metric"] != "recall" && e["metric"] != "coverage")
      continue;
    EXPECT_GE(e["value"].get<double>(), 0.0) << e;
    EXPECT_LE(e["value"].get<double>(), 1.0) << e;
    ++fractions;
  }
  EXPECT_EQ(fractions, 3 * 8 * 2);
  ASSERT_EQ(doc["per_sample"].size(), 8u * 2u);
  for (const auto& p : doc["per_sample"])
    EXPECT_TRUE(std::filesystem::exists(p["path"].get<std::string>())) << p;
  EXPECT_NE(r.out.find("kid"), std::string::npos) << r.out;

  // More additive noise or more blur moves the set further from the reference in both feature
  // spaces. (JPEG is deliberately not checked: strong JPEG smooths like blur, and in pixel space
  // that can lower FD, as blur1 vs clean shows.)
  auto j = nlohmann::json::parse(read_text(out / "results.json"));
  std::map<std::string, std::pair<std::string, double>> strength;  // dataset -> (kind, strength)
  std::regex derived(R"(derived: (\w+)\((\w+)=([-0-9.e]+))");
  for (const auto& d : j["datasets"]) {
    std::smatch m;
    std::string source = d["source"].get<std::string>();
    if (!std::regex_search(source, m, derived)) continue;
    double s = std::stod(m[3]);
    if (m[1] != "gaussian_noise" && m[1] != "gaussian_blur") continue;
    strength[d["id"].get<std::string>()] = {m[1], s};
  }
  int pairs_checked = 0;
  for (const auto& a : j["entries"]) {
    for (const auto& b : j["entries"]) {
      if (a["backbone"] != b["backbone"] || a["metric"] != "fd" || b["metric"] != "fd") continue;
      auto sa = strength.find(a["evaluated"].get<std::string>());
      auto sb = strength.find(b["evaluated"].get<std::string>());
      if (sa == strength.end() || sb == strength.end()) continue;
      if (sa->second.first != sb->second.first || sa->second.second >= sb->second.second) continue;
      EXPECT_LT(a["value"].get<double>(), b["value"].get<double>())
          << a["backbone"] << ": " << a["evaluated"] << " vs " << b["evaluated"];
      ++pairs_checked;
    }
  }
  EXPECT_EQ(pairs_checked, 4);  // {blur1<blur2, noise8<noise24} x 2 backbones
}

}  // namespace
}  // namespace gensweep::testing
