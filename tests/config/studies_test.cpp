// [[studies]]: expansion into derived datasets and one comparison, every wrong key or value with
// its location, and the canonical form (which writes the study, not what it generated).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"

namespace gensweep::config::testing {
namespace {

using ::testing::HasSubstr;

// Lines 1-24; a test's extra keys start on line 25, inside the [[studies]] table.
constexpr std::string_view kStudyHead = R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"

[[datasets]]
id = "eval"
source = "folder"
path = "data/b"

[[backbones]]
id = "pix"
kind = "pixels"

[[studies]]
id = "s"
kind = "corruptions"
reference = "real"
base = "eval"
corruption_parameters = "cifar"
)";

std::string study_plus(std::string_view extra) {
  return std::string(kStudyHead) + std::string(extra);
}

class StudiesTest : public ConfigTest {};

TEST_F(StudiesTest, AbsentListsMeanEveryCorruptionAtEverySeverity) {
  const Job job = load(kStudyHead);
  ASSERT_EQ(job.studies.size(), 1u);
  const StudyConfig& study = job.studies[0];
  EXPECT_EQ(study.factors.size(), 19u);
  EXPECT_EQ(study.levels, (std::vector<double>{1, 2, 3, 4, 5}));
  // The base, then 19 x 5 generated datasets after the file's two.
  ASSERT_EQ(job.datasets.size(), 2u + 95u);
  ASSERT_EQ(study.cells.size(), 96u);
  EXPECT_EQ(study.cells[0], (StudyCell{"none", 0, 0, "eval"}));
  EXPECT_EQ(study.cells[1], (StudyCell{"gaussian_noise", 1, 0, "s.gaussian_noise.s1"}));
  EXPECT_EQ(study.cells[95], (StudyCell{"elastic_transform", 5, 0, "s.elastic_transform.s5"}));
  ASSERT_EQ(job.comparisons.size(), 1u);
  const ComparisonConfig& comparison = job.comparisons[0];
  EXPECT_EQ(comparison.study, "s");
  EXPECT_EQ(comparison.reference, "real");
  ASSERT_EQ(comparison.evaluated.size(), 96u);
  EXPECT_EQ(comparison.evaluated[0], "eval");
  EXPECT_EQ(comparison.backbones, (std::vector<std::string>{"pix"}));
  EXPECT_EQ(comparison.metrics, (std::vector<std::string>{"fd"}));
}

TEST_F(StudiesTest, GeneratedDatasetsAreDerivedCorruptionsOfTheBase) {
  const Job job =
      load(study_plus("corruptions = [\"snow\", \"fog\"]\nseverities = [5, 2]\n"
                      "seeding = \"reference\"\nseed = 9\n"));
  const StudyConfig& study = job.studies[0];
  EXPECT_EQ(study.factors, (std::vector<std::string>{"snow", "fog"}));  // the file's order
  EXPECT_EQ(study.levels, (std::vector<double>{2, 5}));                 // ascending
  const DatasetConfig& cell = find_dataset(job, "s.fog.s5");
  EXPECT_EQ(cell.study, "s");
  const auto* derived = std::get_if<DerivedSource>(&cell.source);
  ASSERT_NE(derived, nullptr);
  EXPECT_EQ(derived->base, "eval");
  EXPECT_EQ(derived->seed, 9u);
  const auto* corruption = std::get_if<Corruption>(&derived->distortion);
  ASSERT_NE(corruption, nullptr);
  EXPECT_EQ(corruption->name, "fog");
  EXPECT_EQ(corruption->severity, 5);
  EXPECT_EQ(corruption->parameters, Corruption::Parameters::kCifar);
  EXPECT_EQ(corruption->seeding, Corruption::Seeding::kReference);
  EXPECT_EQ(job.comparisons[0].evaluated,
            (std::vector<std::string>{"eval", "s.snow.s2", "s.snow.s5", "s.fog.s2", "s.fog.s5"}));
}

TEST_F(StudiesTest, ComparisonsAndStudiesTogether) {
  const Job job = load(std::string(kMinimalJob) +
                       "\n[[studies]]\nid = \"s\"\nkind = \"corruptions\"\nreference = "
                       "\"real\"\nbase = \"eval\"\ncorruption_parameters = \"imagenet\"\n"
                       "corruptions = [\"fog\"]\nseverities = [1]\n");
  ASSERT_EQ(job.comparisons.size(), 2u);
  EXPECT_EQ(job.comparisons[0].study, "");  // the file's own first
  EXPECT_EQ(job.comparisons[1].study, "s");
  EXPECT_EQ(job.comparisons[1].evaluated, (std::vector<std::string>{"eval", "s.fog.s1"}));
}

TEST_F(StudiesTest, NormaliseByNamesACellOfTheGrid) {
  const Job job =
      load(study_plus("corruptions = [\"fog\", \"snow\"]\nseverities = [1, 5]\n"
                      "normalise_by = { corruption = \"snow\", severity = 5 }\n"));
  ASSERT_TRUE(job.studies[0].normalise_by.has_value());
  EXPECT_EQ(*job.studies[0].normalise_by, (StudyReferenceCell{"snow", 5}));
}

TEST_F(StudiesTest, WrongValuesNameTheirKeyAndLine) {
  EXPECT_THAT(error_of(study_plus("corruptions = [\"fogg\"]\n")),
              HasSubstr(at(25, 16, "studies[0].corruptions[0]: unknown corruption \"fogg\"")));
  EXPECT_EQ(error_of(study_plus("corruptions = [\"fog\", \"fog\"]\n")),
            at(25, 23, "studies[0].corruptions[1]: \"fog\" is listed twice"));
  EXPECT_EQ(error_of(study_plus("corruptions = \"some\"\n")),
            at(25, 15, "studies[0].corruptions: expected \"all\" or a list, got \"some\""));
  EXPECT_EQ(error_of(study_plus("corruptions = []\n")),
            at(25, 15, "studies[0].corruptions: expected \"all\" or at least one item"));
  EXPECT_THAT(error_of(study_plus("severities = [0]\n")),
              HasSubstr(at(25, 15, "studies[0].severities[0]: expected an integer in 1..5")));
  EXPECT_THAT(error_of(study_plus("severities = 3\n")),
              HasSubstr(at(25, 14, "studies[0].severities: expected \"all\" or an array")));
  EXPECT_THAT(error_of(study_plus("seeding = \"per-set\"\n")),
              HasSubstr("studies[0].seeding: unknown corruption seeding \"per-set\""));
  EXPECT_THAT(error_of(study_plus("colour = 1\n")),
              HasSubstr(at(25, 1, "studies[0].colour: unknown key (known keys: id, kind,")));
  EXPECT_THAT(error_of(study_plus("metrics = [\"fid\"]\n")),
              HasSubstr("studies[0].metrics[0]: unknown metric \"fid\""));
  EXPECT_THAT(error_of(study_plus("backbones = [\"pixx\"]\n")),
              HasSubstr("studies[0].backbones[0]: unknown backbone \"pixx\""));
}

TEST_F(StudiesTest, WrongDatasetsAreRefused) {
  std::string text(kStudyHead);
  text.replace(text.find("base = \"eval\""), 13, "base = \"real\"");
  EXPECT_THAT(error_of(text), HasSubstr(at(23, 8,
                                           "studies[0].base: dataset \"real\" is the "
                                           "reference")));
  text = std::string(kStudyHead);
  text.replace(text.find("reference = \"real\""), 18, "reference = \"rael\"");
  EXPECT_THAT(error_of(text),
              HasSubstr(at(22, 13, "studies[0].reference: unknown dataset \"rael\"")));
  text = std::string(kStudyHead);
  text.replace(text.find("kind = \"corruptions\""), 20, "kind = \"mixture\"");
  EXPECT_THAT(error_of(text), HasSubstr(at(21, 8, "studies[0].kind: unknown study kind")));
  text = std::string(kStudyHead);
  text.replace(text.find("corruption_parameters = \"cifar\"\n"), 32, "");
  EXPECT_THAT(error_of(text), HasSubstr("studies[0]: missing required key "
                                        "\"corruption_parameters\""));
}

TEST_F(StudiesTest, NormaliseByOutsideTheGridIsRefused) {
  EXPECT_THAT(error_of(study_plus("corruptions = [\"fog\"]\n"
                                  "normalise_by = { corruption = \"snow\", severity = 5 }\n")),
              HasSubstr(at(26, 31,
                           "studies[0].normalise_by.corruption: corruption \"snow\" is not among "
                           "the study's corruptions")));
  EXPECT_THAT(error_of(study_plus("severities = [1, 2]\n"
                                  "normalise_by = { corruption = \"fog\", severity = 5 }\n")),
              HasSubstr(at(26, 49,
                           "studies[0].normalise_by.severity: severity 5 is not among the "
                           "study's severities")));
  EXPECT_THAT(error_of(study_plus("normalise_by = { corruption = \"fog\" }\n")),
              HasSubstr("studies[0].normalise_by: missing required key \"severity\""));
}

TEST_F(StudiesTest, GeneratedIdsMayNotCollide) {
  std::string text(kStudyHead);
  text.replace(text.find("[[backbones]]"), 13,
               "[[datasets]]\nid = \"s.fog.s1\"\nsource = \"folder\"\npath = "
               "\"data/a\"\n\n[[backbones]]");
  EXPECT_THAT(error_of(text + "corruptions = [\"fog\"]\n"),
              HasSubstr("study \"s\" would define dataset \"s.fog.s1\", which"));
  EXPECT_THAT(error_of(study_plus("corruptions = [\"fog\"]\n\n[[studies]]\nid = \"s\"\nkind = "
                                  "\"corruptions\"\nreference = \"real\"\nbase = "
                                  "\"eval\"\ncorruption_parameters = \"cifar\"\n")),
              HasSubstr("studies[1].id: duplicate study id \"s\" (first defined at"));
}

TEST_F(StudiesTest, AJobNeedsComparisonsOrStudies) {
  std::string text(kStudyHead);
  text.resize(text.find("[[studies]]"));
  EXPECT_THAT(error_of(text), HasSubstr("missing required array of tables [[comparisons]]"));
}

TEST_F(StudiesTest, CanonicalFormWritesTheStudyAndReadsBackToTheSameJob) {
  const Job job =
      load(study_plus("corruptions = [\"fog\", \"snow\"]\nseverities = [2, 4]\n"
                      "normalise_by = { corruption = \"snow\", severity = 4 }\n"));
  const std::string text = canonical_form(job);
  EXPECT_THAT(text, HasSubstr("\n[[studies]]\nid = \"s\"\nkind = \"corruptions\"\n"));
  EXPECT_THAT(text, HasSubstr("corruptions = [\"fog\", \"snow\"]\nseverities = [2, 4]\n"));
  // The generated datasets and comparison are not written: reading the text generates them.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("id = \"s.fog.s2\"")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("[[comparisons]]")));
  const Job again = load(text);
  EXPECT_EQ(canonical_form(again), text);
  EXPECT_EQ(again.datasets.size(), job.datasets.size());
  EXPECT_EQ(again.comparisons[0].evaluated, job.comparisons[0].evaluated);
  EXPECT_EQ(config_hash(again), config_hash(job));
  // A change to the study changes the hash.
  const Job other = load(study_plus("corruptions = [\"fog\", \"snow\"]\nseverities = [2, 4]\n"));
  EXPECT_NE(config_hash(other), config_hash(job));
}

// The head with a third folder dataset, "cf", on line 15-18; a study's keys start on line 25.
std::string other_kind(std::string_view keys) {
  return std::string(R"([job]
name = "t"
output = "out"

[[datasets]]
id = "real"
source = "folder"
path = "data/a"

[[datasets]]
id = "eval"
source = "folder"
path = "data/b"

[[datasets]]
id = "cf"
source = "folder"
path = "data/a"

[[backbones]]
id = "pix"
kind = "pixels"

[[studies]]
)") + std::string(keys);
}

TEST_F(StudiesTest, MixturesExpandIntoSeededDrawsPerCounterfactualAndProportion) {
  const Job job = load(other_kind(
      "id = \"m\"\nkind = \"mixtures\"\nreference = \"real\"\nbase = \"eval\"\n"
      "counterfactuals = [\"cf\"]\nproportions = [1, 0, 0.25]\nsize = 10\ndraws = 2\nseed = 7\n"
      "normalise_by = { counterfactual = \"cf\", proportion = 1 }\n"));
  const StudyConfig& study = job.studies[0];
  EXPECT_EQ(study.kind, StudyConfig::Kind::kMixtures);
  EXPECT_EQ(study.factor_name(), "counterfactual");
  EXPECT_EQ(study.levels, (std::vector<double>{0, 0.25, 1}));
  ASSERT_EQ(study.cells.size(), 6u);  // no base cell: proportion 0 is the base
  EXPECT_EQ(study.cells[0], (StudyCell{"cf", 0, 0, "m.cf.p0.d0"}));
  EXPECT_EQ(study.cells[3], (StudyCell{"cf", 0.25, 1, "m.cf.p0.25.d1"}));
  const auto* mixture = std::get_if<MixtureSource>(&find_dataset(job, "m.cf.p0.25.d1").source);
  ASSERT_NE(mixture, nullptr);
  EXPECT_EQ(mixture->base, "eval");
  EXPECT_EQ(mixture->counterfactual, "cf");
  EXPECT_EQ(mixture->proportion, 0.25);
  EXPECT_EQ(mixture->size, 10);
  EXPECT_EQ(mixture->seed, 8u);  // seed + draw
  EXPECT_EQ(*study.normalise_by, (StudyReferenceCell{"cf", 1}));
  // The canonical form reads back to the same job.
  const std::string text = canonical_form(job);
  EXPECT_THAT(text, HasSubstr("proportions = [0, 0.25, 1]\nsize = 10\ndraws = 2\n"));
  EXPECT_EQ(canonical_form(load(text)), text);
}

TEST_F(StudiesTest, MixturesRefuseWrongKeysWithTheirLine) {
  const std::string head =
      "id = \"m\"\nkind = \"mixtures\"\nreference = \"real\"\nbase = \"eval\"\n";
  EXPECT_THAT(
      error_of(other_kind(head + "counterfactuals = [\"eval\"]\nproportions = [0]\nsize = 3\n")),
      HasSubstr(at(29, 20, "studies[0].counterfactuals[0]: dataset \"eval\" is the base")));
  EXPECT_THAT(
      error_of(other_kind(head + "counterfactuals = [\"cf\"]\nproportions = [0, 1.5]\nsize = 3\n")),
      HasSubstr(at(30, 19, "studies[0].proportions[1]: expected a number in 0..1")));
  EXPECT_THAT(error_of(other_kind(
                  head + "counterfactuals = [\"cf\"]\nproportions = [0.5, 0.5]\nsize = 3\n")),
              HasSubstr(at(30, 21, "studies[0].proportions[1]: proportion 0.5 is listed twice")));
  EXPECT_THAT(error_of(other_kind(
                  head + "counterfactuals = [\"cf\"]\nproportions = [0]\nsize = 3\ndraws = 0\n")),
              HasSubstr(at(32, 9, "studies[0].draws: expected an integer in 1..1000")));
  EXPECT_THAT(error_of(other_kind(head + "counterfactuals = [\"cf\"]\nproportions = [0]\n")),
              HasSubstr("studies[0]: missing required key \"size\""));
  // A corruptions key in a mixtures study.
  EXPECT_THAT(
      error_of(other_kind(head + "counterfactuals = [\"cf\"]\nproportions = [0]\nsize = 3\n"
                                 "severities = [1]\n")),
      HasSubstr(at(32, 1, "studies[0].severities: unknown key for study kind \"mixtures\"")));
  EXPECT_THAT(
      error_of(other_kind(head + "counterfactuals = [\"cf\"]\nproportions = [0]\nsize = 3\n"
                                 "normalise_by = { counterfactual = \"cf\", proportion = 1 }\n")),
      HasSubstr("studies[0].normalise_by.proportion: proportion 1 is not among the study's "
                "proportions"));
}

TEST_F(StudiesTest, RegionsDistortEachRegionAndTheWholeImage) {
  const Job job = load(other_kind(
      "id = \"r\"\nkind = \"regions\"\nreference = \"real\"\nbase = \"eval\"\nmask = \"cf\"\n"
      "distortion = { kind = \"gaussian_blur\", sigma = 2.0 }\n"
      "regions = { skin = [1], hair = [13, 17] }\n"));
  const StudyConfig& study = job.studies[0];
  // The file's order, then the whole image, which normalises every region.
  EXPECT_EQ(study.factors, (std::vector<std::string>{"skin", "hair", "whole"}));
  EXPECT_EQ(*study.normalise_by, (StudyReferenceCell{"whole", 1}));
  ASSERT_EQ(study.cells.size(), 3u);
  EXPECT_EQ(study.cells[1], (StudyCell{"hair", 1, 0, "r.hair"}));
  const auto* hair = std::get_if<DerivedSource>(&find_dataset(job, "r.hair").source);
  ASSERT_NE(hair, nullptr);
  ASSERT_TRUE(hair->region.has_value());
  EXPECT_EQ(hair->region->mask, "cf");
  EXPECT_EQ(hair->region->values, (std::vector<int>{13, 17}));
  const auto* whole = std::get_if<DerivedSource>(&find_dataset(job, "r.whole").source);
  ASSERT_NE(whole, nullptr);
  EXPECT_FALSE(whole->region.has_value());
  EXPECT_EQ(std::get<GaussianBlur>(whole->distortion).sigma, 2.0);
  const std::string text = canonical_form(job);
  EXPECT_THAT(text, HasSubstr("regions = { skin = [1], hair = [13, 17] }\n"));
  EXPECT_EQ(canonical_form(load(text)), text);
}

TEST_F(StudiesTest, RegionsRefuseWrongKeysWithTheirLine) {
  const std::string head =
      "id = \"r\"\nkind = \"regions\"\nreference = \"real\"\nbase = \"eval\"\n"
      "mask = \"cf\"\ndistortion = { kind = \"gaussian_blur\", sigma = 2.0 }\n";
  EXPECT_THAT(error_of(other_kind(head + "regions = { whole = [1] }\n")),
              HasSubstr(at(31, 21, "studies[0].regions.whole: \"whole\" cannot name a region")));
  EXPECT_THAT(error_of(other_kind(head + "regions = { skin = [] }\n")),
              HasSubstr(at(31, 20, "studies[0].regions.skin: expected at least one label value")));
  EXPECT_THAT(error_of(other_kind(head + "regions = { skin = [1, 256] }\n")),
              HasSubstr(at(31, 24, "studies[0].regions.skin[1]: expected an integer in 0..255")));
  EXPECT_THAT(error_of(other_kind(head + "regions = { skin = [1, 1] }\n")),
              HasSubstr(at(31, 24, "studies[0].regions.skin[1]: label 1 is listed twice")));
  EXPECT_THAT(error_of(other_kind(head + "regions = {}\n")),
              HasSubstr(at(31, 11, "studies[0].regions: expected at least one region")));
  std::string masked_base = head;
  masked_base.replace(masked_base.find("mask = \"cf\""), 11, "mask = \"eval\"");
  EXPECT_THAT(error_of(other_kind(masked_base + "regions = { skin = [1] }\n")),
              HasSubstr(at(29, 8, "studies[0].mask: the mask is the base")));
  EXPECT_THAT(
      error_of(other_kind(
          head + "regions = { skin = [1] }\nnormalise_by = { region = \"skin\", level = 1 }\n")),
      HasSubstr("studies[0].normalise_by: unknown key for study kind \"regions\""));
}

}  // namespace
}  // namespace gensweep::config::testing
