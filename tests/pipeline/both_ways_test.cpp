// Both-ways tables and rarest-image overlaps assembled from entries and per-sample scores: the
// expected values are worked out by hand in the comments.
#include "gensweep/pipeline/both_ways.h"

#include <gtest/gtest.h>

namespace gensweep::pipeline {
namespace {

TEST(RarestCount, FractionOfRowsRoundedAtLeastOne) {
  EXPECT_EQ(rarest_count(0.1, 423), 42);  // 42.3
  EXPECT_EQ(rarest_count(0.1, 425), 43);  // 42.5 rounds away from zero
  EXPECT_EQ(rarest_count(0.1, 3), 1);     // 0.3 -> at least one
  EXPECT_EQ(rarest_count(1.0, 7), 7);
}

TEST(RarestRows, LargestScoresFirstTiesToTheLowerRowDiscardedNever) {
  const std::vector<double> rarity = {0.5, 0, 2, 2, 1, 0};
  EXPECT_EQ(rarest_rows(rarity, 3), (std::vector<std::int64_t>{2, 3, 4}));
  // Only four samples have a score: asking for five gives four.
  EXPECT_EQ(rarest_rows(rarity, 5), (std::vector<std::int64_t>{2, 3, 4, 0}));
  EXPECT_TRUE(rarest_rows(std::vector<double>{0, 0}, 1).empty());
}

report::MetricEntry entry(const std::string& r, const std::string& e, const std::string& b,
                          const std::string& metric, double value) {
  report::MetricEntry out;
  out.reference = r;
  out.evaluated = e;
  out.backbone = b;
  out.metric = metric;
  out.value = value;
  return out;
}

// A plan of one both-ways pair (a, b) in two backbones, tasks in the order make_plan adds them.
Plan two_backbone_plan() {
  Plan plan;
  const std::vector<std::string> metrics = {"fd", "rarity"};
  for (const std::string backbone : {"p", "q"}) {
    BothWaysPlan both{"a", "b", backbone, metrics, 0.5, {}};
    const std::size_t first = plan.reduction.size();
    plan.reduction.push_back({"a", "b", backbone, metrics, {}, false});
    plan.reduction.push_back({"b", "a", backbone, metrics, {}, false});
    plan.reduction.push_back({"a", "a", backbone, {"rarity"}, {}, true});
    plan.reduction.push_back({"b", "b", backbone, {"rarity"}, {}, true});
    both.tasks = {first, first + 1, first + 2, first + 3};
    plan.both_ways.push_back(both);
  }
  return plan;
}

TEST(MakeBothWays, FourDirectionsFdZeroByDefinitionForSelf) {
  const Plan plan = two_backbone_plan();
  std::vector<report::MetricEntry> entries = {
      entry("a", "b", "p", "fd", 10),      entry("a", "b", "p", "rarity", 1.5),
      entry("b", "a", "p", "fd", 11),      entry("b", "a", "p", "rarity", 2.5),
      entry("a", "a", "p", "rarity", 3.5), entry("b", "b", "p", "rarity", 4.5)};
  std::vector<PerSampleArrays> per_task(plan.reduction.size());
  const auto out = make_both_ways(plan, entries, per_task);
  ASSERT_EQ(out.tables.size(), 2u);
  const auto& t = out.tables[0];
  EXPECT_EQ(t.metrics, (std::vector<std::string>{"fd", "rarity"}));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].direction, "forward");
  EXPECT_EQ(t.rows[0].values, (std::vector<std::optional<double>>{10.0, 1.5}));
  EXPECT_EQ(t.rows[1].direction, "backward");
  EXPECT_EQ(t.rows[1].reference, "b");
  EXPECT_EQ(t.rows[1].evaluated, "a");
  EXPECT_EQ(t.rows[1].values, (std::vector<std::optional<double>>{11.0, 2.5}));
  EXPECT_EQ(t.rows[2].direction, "self-reference");
  EXPECT_TRUE(t.rows[2].leave_one_out);
  EXPECT_EQ(t.rows[2].values, (std::vector<std::optional<double>>{0.0, 3.5}));
  EXPECT_EQ(t.rows[2].by_definition, (std::vector<std::string>{"fd"}));
  EXPECT_EQ(t.rows[3].direction, "self-evaluated");
  EXPECT_EQ(t.rows[3].reference, "b");
  EXPECT_EQ(t.rows[3].values, (std::vector<std::optional<double>>{0.0, 4.5}));
  // Backbone q has no entries: every computed cell is missing, fd of the self rows is still 0.
  EXPECT_EQ(out.tables[1].rows[0].values,
            (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
  EXPECT_EQ(out.tables[1].rows[3].values[0], std::optional<double>(0.0));
  EXPECT_TRUE(out.rarest_overlap.empty());  // no per-sample scores
}

TEST(MakeBothWays, JaccardOfTheRarestBetweenBackbones) {
  const Plan plan = two_backbone_plan();
  std::vector<PerSampleArrays> per_task(plan.reduction.size());
  // Forward (b's 4 samples against a): k = round(0.5 * 4) = 2.
  //   p: rarest rows {0, 1}; q: rarest rows {1, 3} -> |{1}| / |{0, 1, 3}| = 1/3.
  per_task[0].reals["rarity"] = {4, 3, 2, 1};
  per_task[4].reals["rarity"] = {1, 4, 2, 3};
  // Backward (a's samples against b): identical rankings -> 1.
  per_task[1].reals["rarity"] = {1, 2, 3, 4};
  per_task[5].reals["rarity"] = {10, 20, 30, 40};
  // Self-reference: p has one sample in the manifold {2}, q two {0, 2} -> 1/2.
  per_task[2].reals["rarity"] = {0, 0, 5, 0};
  per_task[6].reals["rarity"] = {1, 0, 5, 0};
  // Self-evaluated: different lengths cannot be matched by row: left out.
  per_task[3].reals["rarity"] = {1, 2, 3, 4};
  per_task[7].reals["rarity"] = {1, 2, 3};
  const auto out = make_both_ways(plan, {}, per_task);
  ASSERT_EQ(out.rarest_overlap.size(), 3u);
  EXPECT_EQ(out.rarest_overlap[0].direction, "forward");
  EXPECT_EQ(out.rarest_overlap[0].backbone_a, "p");
  EXPECT_EQ(out.rarest_overlap[0].backbone_b, "q");
  EXPECT_EQ(out.rarest_overlap[0].k, 2);
  EXPECT_DOUBLE_EQ(out.rarest_overlap[0].jaccard, 1.0 / 3);
  EXPECT_EQ(out.rarest_overlap[1].direction, "backward");
  EXPECT_DOUBLE_EQ(out.rarest_overlap[1].jaccard, 1.0);
  EXPECT_EQ(out.rarest_overlap[2].direction, "self-reference");
  EXPECT_DOUBLE_EQ(out.rarest_overlap[2].jaccard, 0.5);
}

TEST(ZeroAgainstItself, DistancesBetweenDistributionsOnly) {
  for (const char* m : {"fd", "kid", "fd_inf", "cmmd"})
    EXPECT_TRUE(zero_against_itself(m)) << m;
  for (const char* m : {"precision", "rarity", "is", "vendi"})
    EXPECT_FALSE(zero_against_itself(m)) << m;
}

}  // namespace
}  // namespace gensweep::pipeline
