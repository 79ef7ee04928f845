// A study's tables from hand-made entries: values found per cell, normalisation by the named
// cell, rankings by the metric's direction, and tau/rho between feature spaces from closed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "gensweep/pipeline/study_analysis.h"

namespace gensweep::pipeline {
namespace {

// Three corruptions at severities 1 and 2 of "base" against "ref", in spaces a and b.
StudyPlan three_by_two() {
  StudyPlan s;
  s.id = "s";
  s.kind = "corruptions";
  s.factor_name = "corruption";
  s.level_name = "severity";
  s.reference = "ref";
  s.base = "base";
  s.factors = {"fog", "frost", "snow"};
  s.levels = {1, 2};
  s.backbones = {"a", "b"};
  s.metrics = {"fd"};
  s.cells.push_back({"none", 0, 0, "base"});
  for (const auto& f : s.factors)
    for (double level : s.levels)
      s.cells.push_back({f, level, 0, fmt::format("s.{}.s{}", f, level)});
  return s;
}

report::MetricEntry entry(const std::string& evaluated, const std::string& backbone,
                          const std::string& metric, double value) {
  report::MetricEntry e;
  e.reference = "ref";
  e.evaluated = evaluated;
  e.backbone = backbone;
  e.metric = metric;
  e.value = value;
  return e;
}

report::TableOptions directions() {
  report::TableOptions options;
  options.better = {{"fd", report::Better::kLower},
                    {"precision", report::Better::kHigher},
                    {"rarity", report::Better::kNeither}};
  return options;
}

// Space a: fog 1, 3 (mean 2); frost 4, 6 (5); snow 7, 9 (8): snow > frost > fog.
// Space b: fog 30, 50 (40); frost 5, 15 (10); snow 20, 20 (20): fog > snow > frost.
std::vector<report::MetricEntry> entries() {
  return {entry("base", "a", "fd", 0.5),     entry("base", "b", "fd", 2),
          entry("s.fog.s1", "a", "fd", 1),   entry("s.fog.s2", "a", "fd", 3),
          entry("s.frost.s1", "a", "fd", 4), entry("s.frost.s2", "a", "fd", 6),
          entry("s.snow.s1", "a", "fd", 7),  entry("s.snow.s2", "a", "fd", 9),
          entry("s.fog.s1", "b", "fd", 30),  entry("s.fog.s2", "b", "fd", 50),
          entry("s.frost.s1", "b", "fd", 5), entry("s.frost.s2", "b", "fd", 15),
          entry("s.snow.s1", "b", "fd", 20), entry("s.snow.s2", "b", "fd", 20)};
}

const report::StudyValue& value_at(const report::StudyResults& r, const std::string& factor,
                                   double level, const std::string& backbone) {
  for (const auto& v : r.values)
    if (v.factor == factor && v.level == level && v.backbone == backbone) return v;
  throw std::runtime_error("no such value");
}

TEST(StudyAnalysis, ValuesComeFromTheStudysEntries) {
  auto all = entries();
  // An entry of another reference with the same evaluated set must not be taken.
  report::MetricEntry other = entry("s.fog.s1", "a", "fd", 1000);
  other.reference = "elsewhere";
  all.insert(all.begin(), other);
  const report::StudyResults r = analyse_study(three_by_two(), all, directions());
  ASSERT_EQ(r.values.size(), 7u * 2u);  // base + 6 cells, two spaces
  EXPECT_EQ(r.values[0].factor, "none");
  EXPECT_EQ(r.values[0].level, 0);
  EXPECT_EQ(r.values[0].value, 0.5);
  EXPECT_EQ(value_at(r, "fog", 1, "a").value, 1);
  EXPECT_EQ(value_at(r, "fog", 1, "a").dataset, "s.fog.s1");
  EXPECT_EQ(value_at(r, "snow", 2, "b").value, 20);
  EXPECT_FALSE(value_at(r, "snow", 2, "b").normalised.has_value());  // no normalise_by
  EXPECT_EQ(r.factor_name, "corruption");
  EXPECT_EQ(r.level_name, "severity");
}

TEST(StudyAnalysis, NormalisedByTheNamedCellPerSpace) {
  StudyPlan plan = three_by_two();
  plan.normalise_by = std::make_pair(std::string("frost"), 2.0);
  const report::StudyResults r = analyse_study(plan, entries(), directions());
  EXPECT_EQ(r.normalised_by_factor, "frost");
  EXPECT_EQ(r.normalised_by_level, 2);
  EXPECT_EQ(*value_at(r, "frost", 2, "a").normalised, 1.0);
  EXPECT_EQ(*value_at(r, "snow", 2, "a").normalised, 9.0 / 6.0);
  EXPECT_EQ(*value_at(r, "none", 0, "a").normalised, 0.5 / 6.0);
  EXPECT_EQ(*value_at(r, "fog", 2, "b").normalised, 50.0 / 15.0);
}

TEST(StudyAnalysis, NormalisingByZeroGivesNoNormalisedValues) {
  StudyPlan plan = three_by_two();
  plan.normalise_by = std::make_pair(std::string("fog"), 1.0);
  auto all = entries();
  all[2].value = 0;  // a: fog s1
  const report::StudyResults r = analyse_study(plan, all, directions());
  EXPECT_FALSE(value_at(r, "snow", 1, "a").normalised.has_value());
  EXPECT_TRUE(value_at(r, "snow", 1, "b").normalised.has_value());
}

TEST(StudyAnalysis, RankingsFollowTheMetricsDirection) {
  const report::StudyResults r = analyse_study(three_by_two(), entries(), directions());
  ASSERT_EQ(r.rankings.size(), 2u);
  EXPECT_EQ(r.rankings[0].backbone, "a");
  EXPECT_EQ(r.rankings[0].factors, (std::vector<std::string>{"snow", "frost", "fog"}));
  EXPECT_EQ(r.rankings[0].scores, (std::vector<double>{8, 5, 2}));
  EXPECT_EQ(r.rankings[1].factors, (std::vector<std::string>{"fog", "snow", "frost"}));
  EXPECT_EQ(r.rankings[1].scores, (std::vector<double>{40, 20, 10}));

  // Higher is better (precision): the lowest mean is the most affected.
  StudyPlan plan = three_by_two();
  plan.metrics = {"precision"};
  auto precision = entries();
  for (auto& e : precision)
    e.metric = "precision";
  const report::StudyResults p = analyse_study(plan, precision, directions());
  EXPECT_EQ(p.rankings[0].factors, (std::vector<std::string>{"fog", "frost", "snow"}));
}

TEST(StudyAnalysis, AgreementIsKendallTauBAndSpearmanRhoOfTheSpacesMeans) {
  const report::StudyResults r = analyse_study(three_by_two(), entries(), directions());
  ASSERT_EQ(r.agreements.size(), 1u);
  const auto& a = r.agreements[0];
  EXPECT_EQ(a.backbones, (std::vector<std::string>{"a", "b"}));
  // Means a = (2, 5, 8), b = (40, 10, 20) for (fog, frost, snow). Pairs: (fog, frost) discordant,
  // (fog, snow) discordant, (frost, snow) concordant: tau = (1 - 2) / 3. Ranks a = (1, 2, 3),
  // b = (3, 1, 2): rho = 1 - 6 * (4 + 1 + 1) / (3 * 8) = -0.5.
  EXPECT_DOUBLE_EQ(a.kendall_tau[1], -1.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.kendall_tau[2], -1.0 / 3.0);  // symmetric
  EXPECT_DOUBLE_EQ(a.spearman_rho[1], -0.5);
  EXPECT_DOUBLE_EQ(a.kendall_tau[0], 1.0);  // a space agrees with itself
  EXPECT_DOUBLE_EQ(a.spearman_rho[3], 1.0);
}

TEST(StudyAnalysis, AMissingCellLeavesItsFactorOutOfThatSpacesRanking) {
  auto all = entries();
  all.pop_back();  // b: snow s2 missing
  const report::StudyResults r = analyse_study(three_by_two(), all, directions());
  EXPECT_TRUE(std::isnan(value_at(r, "snow", 2, "b").value));
  EXPECT_EQ(r.rankings[1].factors, (std::vector<std::string>{"fog", "frost"}));
  // The agreement uses the factors both spaces ranked: a (2, 5), b (40, 10): reversed.
  EXPECT_DOUBLE_EQ(r.agreements[0].kendall_tau[1], -1.0);
}

TEST(StudyAnalysis, MetricsWithoutADirectionAreNotRanked) {
  StudyPlan plan = three_by_two();
  plan.metrics = {"rarity"};
  auto rarity = entries();
  for (auto& e : rarity)
    e.metric = "rarity";
  const report::StudyResults r = analyse_study(plan, rarity, directions());
  EXPECT_EQ(r.values.size(), 14u);
  EXPECT_TRUE(r.rankings.empty());
  EXPECT_TRUE(r.agreements.empty());
}

TEST(StudyAnalysis, AConstantRankingHasNoAgreement) {
  auto all = entries();
  for (auto& e : all)
    if (e.backbone == "b") e.value = 3;
  const report::StudyResults r = analyse_study(three_by_two(), all, directions());
  EXPECT_TRUE(std::isnan(r.agreements[0].kendall_tau[1]));
  EXPECT_TRUE(std::isnan(r.agreements[0].spearman_rho[1]));
}

TEST(StudyAnalysis, DrawsAreAveragedWithTheirSampleStandardDeviation) {
  StudyPlan plan;
  plan.id = "m";
  plan.kind = "mixtures";
  plan.factor_name = "counterfactual";
  plan.level_name = "proportion";
  plan.reference = "ref";
  plan.base = "base";
  plan.factors = {"cf"};
  plan.levels = {0, 0.5};
  plan.backbones = {"a"};
  plan.metrics = {"fd"};
  plan.cells = {
      {"cf", 0, 0, "d00"}, {"cf", 0, 1, "d01"}, {"cf", 0.5, 0, "d10"}, {"cf", 0.5, 1, "d11"}};
  plan.normalise_by = std::make_pair(std::string("cf"), 0.5);
  const std::vector<report::MetricEntry> all = {
      entry("d00", "a", "fd", 1), entry("d01", "a", "fd", 3), entry("d10", "a", "fd", 10),
      entry("d11", "a", "fd", 14)};
  const report::StudyResults r = analyse_study(plan, all, directions());
  ASSERT_EQ(r.values.size(), 2u);
  EXPECT_EQ(r.values[0].value, 2);
  EXPECT_EQ(r.values[0].draws, 2);
  EXPECT_EQ(r.values[0].dataset, "d00");
  EXPECT_DOUBLE_EQ(*r.values[0].std, std::sqrt(2.0));  // ((1-2)^2 + (3-2)^2) / (2-1)
  EXPECT_EQ(r.values[1].value, 12);
  EXPECT_DOUBLE_EQ(*r.values[1].std, std::sqrt(8.0));
  EXPECT_EQ(*r.values[0].normalised, 2.0 / 12.0);
  EXPECT_EQ(r.factor_name, "counterfactual");
  EXPECT_EQ(r.levels, (std::vector<double>{0, 0.5}));
  // One draw: no spread.
  plan.cells = {{"cf", 0, 0, "d00"}, {"cf", 0.5, 0, "d10"}};
  EXPECT_FALSE(analyse_study(plan, all, directions()).values[0].std.has_value());
}

}  // namespace
}  // namespace gensweep::pipeline
