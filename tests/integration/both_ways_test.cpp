// jobs/both_ways.toml end to end: two halves of the bundled CIFAR images compared in both
// directions and each against itself (leave-one-out), in two feature spaces. One process and
// `mpirun -n 2` give the same bits for every number; the tables, CSV files and figures are there
// and results.json validates against the schema.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support.h"

namespace gensweep::testing {
namespace {

using nlohmann::json;

// Every number of results.json that a run computes: entries, both-ways cells, overlaps.
std::vector<json> numbers_of(const json& doc) {
  std::vector<json> out;
  for (const auto& e : doc["entries"])
    out.push_back({e["reference"], e["evaluated"], e["backbone"], e["metric"], e["value"]});
  for (const auto& t : doc["both_ways"])
    for (const auto& row : t["rows"])
      out.push_back({t["backbone"], row["direction"], row["values"]});
  for (const auto& o : doc["rarest_overlap"])
    out.push_back({o["direction"], o["backbone_a"], o["backbone_b"], o["k"], o["jaccard"]});
  return out;
}

TEST(BothWays, ShippedJobIsRankInvariantAndWritesEveryOutput) {
  TempDir out("gensweep-both-ways");
  const std::string job = (source_dir() / "jobs" / "both_ways.toml").string();
  const auto one = run_gensweep({"run", job, "--quiet", "--output", (out / "one").string()});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = run_gensweep({"run", job, "--quiet", "--output", (out / "two").string()}, 2);
  ASSERT_EQ(two.exit_code, 0) << two.err;

  const json a = json::parse(read_text(out / "one" / "results.json"));
  const json b = json::parse(read_text(out / "two" / "results.json"));
  EXPECT_EQ(b["ranks"].get<int>(), 2);
  // json compares doubles with ==: the same bits (no NaN among them: checked below).
  const auto na = numbers_of(a), nb = numbers_of(b);
  ASSERT_EQ(na.size(), nb.size());
  for (std::size_t i = 0; i < na.size(); ++i)
    EXPECT_EQ(na[i], nb[i]) << i;

  // Two backbones: two tables of four directions, six metrics each.
  ASSERT_EQ(a["both_ways"].size(), 2u);
  for (const auto& t : a["both_ways"]) {
    ASSERT_EQ(t["rows"].size(), 4u);
    const std::vector<std::string> directions = {"forward", "backward", "self-reference",
                                                 "self-evaluated"};
    for (std::size_t d = 0; d < 4; ++d) {
      const auto& row = t["rows"][d];
      EXPECT_EQ(row["direction"], directions[d]);
      const bool self = d >= 2;
      EXPECT_EQ(row["leave_one_out"].get<bool>(), self);
      EXPECT_EQ(row["reference"] == row["evaluated"], self) << row;
      for (const char* m : {"fd", "precision", "recall", "density", "coverage", "rarity"})
        ASSERT_TRUE(row["values"][m].is_number()) << m << " " << row;
      for (const char* m : {"precision", "recall", "coverage"}) {
        EXPECT_GE(row["values"][m].get<double>(), 0.0);
        EXPECT_LE(row["values"][m].get<double>(), 1.0);
      }
      if (self) {
        EXPECT_EQ(row["values"]["fd"].get<double>(), 0.0);
        EXPECT_EQ(row["by_definition"], json::array({"fd"}));
        // One set, the same radii on both sides: recall is precision.
        EXPECT_EQ(row["values"]["precision"], row["values"]["recall"]) << row;
      } else {
        EXPECT_GT(row["values"]["fd"].get<double>(), 0.0);
        EXPECT_TRUE(row["by_definition"].empty());
      }
    }
  }
  // Swapping the roles swaps precision and recall (the same balls and tests), and FD is symmetric.
  for (const auto& t : a["both_ways"]) {
    const auto& forward = t["rows"][0]["values"];
    const auto& backward = t["rows"][1]["values"];
    EXPECT_EQ(forward["precision"], backward["recall"]) << t;
    EXPECT_EQ(forward["recall"], backward["precision"]) << t;
    EXPECT_NEAR(forward["fd"].get<double>(), backward["fd"].get<double>(),
                1e-9 * forward["fd"].get<double>());
  }
  // The self entries are in the entries too, marked leave-one-out, with per-sample files.
  int self_entries = 0;
  for (const auto& e : a["entries"]) {
    if (e["reference"] != e["evaluated"]) continue;
    ++self_entries;
    EXPECT_EQ(e["diagnostics"]["leave_one_out"], true) << e;
    EXPECT_NE(e["metric"], "fd");
  }
  EXPECT_EQ(self_entries, 2 * 2 * 5);  // 2 sets x 2 backbones x 5 k-NN metrics
  // One backbone pair, four directions; k = round(0.1 * 423) = 42.
  ASSERT_EQ(a["rarest_overlap"].size(), 4u);
  for (const auto& o : a["rarest_overlap"]) {
    EXPECT_EQ(o["k"].get<int>(), 42);
    EXPECT_EQ(o["backbone_a"], "pixels32");
    EXPECT_EQ(o["backbone_b"], "rcnn64");
    EXPECT_GE(o["jaccard"].get<double>(), 0.0);
    EXPECT_LE(o["jaccard"].get<double>(), 1.0);
  }

  for (const char* f : {"both_ways.csv", "rarest_overlap.csv", "figures/both_ways_rarity__a__b.pdf",
                        "figures/both_ways_rarity__a__b.svg", "figures/both_ways_rarity__a__b.png"})
    EXPECT_TRUE(std::filesystem::exists(out / "one" / f)) << f;
  // 2 tables x 4 directions x 6 metrics, and a header.
  const std::string csv = read_text(out / "one" / "both_ways.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 4 * 6) << csv;
  const std::string md = read_text(out / "one" / "results.md");
  EXPECT_NE(md.find("## Both ways: a and b, pixels32"), std::string::npos) << md;
  EXPECT_NE(md.find("| self-evaluated (b vs b, leave-one-out) |"), std::string::npos) << md;
  EXPECT_NE(md.find("## Rarest images: overlap between feature spaces (Jaccard)"),
            std::string::npos);
  const std::string tex = read_text(out / "one" / "results.tex");
  EXPECT_NE(tex.find("\\caption{a and b both ways in rcnn64"), std::string::npos) << tex;

  const auto cmd = fmt::format("/usr/bin/python3 -m jsonschema -i '{}' '{}'",
                               (out / "one" / "results.json").string(),
                               (source_dir() / "results_schema" / "results.schema.json").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // A rerun takes every item, the leave-one-out ones included (their own row-cache keys), from
  // the row cache, and the tables come out with the same bits.
  const auto again = run_gensweep({"run", job, "--quiet", "--output", (out / "one").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const json c = json::parse(read_text(out / "one" / "results.json"));
  EXPECT_EQ(c["cache"]["reused"], c["cache"]["items"]) << c["cache"];
  EXPECT_EQ(numbers_of(c), na);
}

}  // namespace
}  // namespace gensweep::testing
