// source = "mixture" and a derived dataset's `region`: what each parses to, every wrong key and
// value with its exact message (file:line:column), references and cycles, the canonical form.
#include <gtest/gtest.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"

namespace gensweep::config::testing {
namespace {

class MixtureRegionTest : public ConfigTest {
 protected:
  // kMinimalJob with one more dataset "n": its [[datasets]] header is line 23, `id` line 24,
  // `source` line 25, then `keys` from line 26.
  static std::string with_dataset(std::string_view source, std::string_view keys) {
    return minimal_plus(fmt::format("[[datasets]]\nid = \"n\"\nsource = \"{}\"\n{}", source, keys));
  }
  static std::string mixture(std::string_view keys) { return with_dataset("mixture", keys); }
  // A derived blur of "real" with `region_line` as its 4th key (line 29).
  static std::string region(std::string_view region_line) {
    return with_dataset("derived", fmt::format("base = \"real\"\ndistortion = {{ kind = "
                                               "\"gaussian_blur\", sigma = 1.0 }}\nseed = 0\n{}\n",
                                               region_line));
  }
};

constexpr std::string_view kValidMixture =
    "base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.25\nsize = 8\nseed = 3\n";

TEST_F(MixtureRegionTest, MixtureParses) {
  const Job job = load(mixture(kValidMixture));
  const auto& m = std::get<MixtureSource>(find_dataset(job, "n").source);
  EXPECT_EQ(m.base, "real");
  EXPECT_EQ(m.counterfactual, "eval");
  EXPECT_EQ(m.proportion, 0.25);
  EXPECT_EQ(m.size, 8);
  EXPECT_EQ(m.seed, 3u);
  EXPECT_EQ(source_name(find_dataset(job, "n").source), "mixture");
  EXPECT_TRUE(find_dataset(job, "n").has_images());
  EXPECT_EQ(find_dataset(job, "n").ingredients(), (std::vector<std::string>{"real", "eval"}));
}

TEST_F(MixtureRegionTest, MixtureDefaultsAndBounds) {
  const auto m = std::get<MixtureSource>(
      find_dataset(load(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 1\n"
                                "size = 1\n")),
                   "n")
          .source);
  EXPECT_EQ(m.proportion, 1.0);  // an integer is a number
  EXPECT_EQ(m.seed, 0u);
  const auto zero = std::get<MixtureSource>(
      find_dataset(load(mixture("base = \"real\"\ncounterfactual = \"real\"\nproportion = 0.0\n"
                                "size = 1\nseed = 9223372036854775807\n")),
                   "n")
          .source);
  EXPECT_EQ(zero.proportion, 0.0);
  EXPECT_EQ(zero.seed, 9223372036854775807u);
}

TEST_F(MixtureRegionTest, MixtureWrongValues) {
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 1.5\n"
                             "size = 8\n")),
            at(28, 14, "datasets[2].proportion: expected a number in 0..1, got 1.5"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = -0.1\n"
                             "size = 8\n")),
            at(28, 14, "datasets[2].proportion: expected a number in 0..1, got -0.1"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = nan\n"
                             "size = 8\n")),
            at(28, 14, "datasets[2].proportion: expected a number in 0..1, got nan"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = \"half\"\n"
                             "size = 8\n")),
            at(28, 14, "datasets[2].proportion: expected a number, got string"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 0\n")),
            at(29, 8, "datasets[2].size: expected an integer >= 1, got 0"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 4.0\n")),
            at(29, 8, "datasets[2].size: expected an integer, got float"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 4\nseed = -1\n")),
            at(30, 8, "datasets[2].seed: expected an integer >= 0, got -1"));
}

TEST_F(MixtureRegionTest, MixtureMissingAndUnknownKeys) {
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nsize = 8\n")),
            at(23, 1, "datasets[2]: missing required key \"proportion\""));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n")),
            at(23, 1, "datasets[2]: missing required key \"size\""));
  EXPECT_EQ(error_of(mixture("base = \"real\"\nproportion = 0.5\nsize = 8\n")),
            at(23, 1, "datasets[2]: missing required key \"counterfactual\""));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 8\nlimit = 3\n")),
            at(30, 1,
               "datasets[2].limit: unknown key for source \"mixture\" (known keys: id, source, "
               "base, counterfactual, proportion, size, seed)"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 8\nproportoin = 0.5\n")),
            at(30, 1, "datasets[2].proportoin: unknown key (did you mean \"proportion\"?)"));
}

TEST_F(MixtureRegionTest, MixtureReferences) {
  EXPECT_EQ(error_of(mixture("base = \"rael\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 8\n")),
            at(26, 8, "datasets[2].base: unknown dataset \"rael\" (did you mean \"real\"?)"));
  EXPECT_EQ(error_of(mixture("base = \"real\"\ncounterfactual = \"smiling\"\nproportion = 0.5\n"
                             "size = 8\n")),
            at(27, 18,
               "datasets[2].counterfactual: unknown dataset \"smiling\" (known datasets: real, "
               "eval, n)"));
  // Not an image dataset: features, then statistics.
  const std::string features =
      "[[backbones]]\nid = \"ext\"\nkind = \"external\"\n\n[[datasets]]\nid = \"f\"\nsource = "
      "\"features\"\npath = \"feats.npy\"\nbackbone = \"ext\"\n\n";
  EXPECT_EQ(error_of(minimal_plus(features +
                                  "[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = \"f\"\n"
                                  "counterfactual = \"eval\"\nproportion = 0.5\nsize = 8\n")),
            at(36, 8,
               "datasets[3].base: dataset \"f\" is a features dataset; a mixture needs image "
               "datasets as its base and counterfactual"));
  EXPECT_EQ(error_of(minimal_plus(
                "[[datasets]]\nid = \"s\"\nsource = \"statistics\"\npath = \"feats.npy\"\n"
                "backbone = \"pix\"\n\n[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = "
                "\"real\"\ncounterfactual = \"s\"\nproportion = 0.5\nsize = 8\n")),
            at(33, 18,
               "datasets[3].counterfactual: dataset \"s\" is a statistics dataset; a mixture "
               "needs image datasets as its base and counterfactual"));
}

TEST_F(MixtureRegionTest, MixtureCycles) {
  EXPECT_EQ(error_of(mixture("base = \"n\"\ncounterfactual = \"eval\"\nproportion = 0.5\n"
                             "size = 8\n")),
            at(26, 8, "datasets[2].base: datasets form a cycle: \"n\" -> \"n\""));
  // Through a derived dataset and the counterfactual key.
  EXPECT_EQ(
      error_of(minimal_plus(
          "[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = \"real\"\ncounterfactual = "
          "\"d\"\nproportion = 0.5\nsize = 8\n\n[[datasets]]\nid = \"d\"\nsource = "
          "\"derived\"\nbase = \"n\"\ndistortion = { kind = \"jpeg\", quality = 5 }\n")),
      at(27, 18, "datasets[2].counterfactual: datasets form a cycle: \"n\" -> \"d\" -> \"n\""));
}

TEST_F(MixtureRegionTest, RegionParses) {
  const Job job = load(region("region = { mask = \"eval\", values = [3, 1, 255, 0] }"));
  const auto& d = std::get<DerivedSource>(find_dataset(job, "n").source);
  ASSERT_TRUE(d.region.has_value());
  EXPECT_EQ(d.region->mask, "eval");
  EXPECT_EQ(d.region->values, (std::vector<int>{3, 1, 255, 0}));
  EXPECT_EQ(find_dataset(job, "n").ingredients(), (std::vector<std::string>{"real", "eval"}));
  // As a table of its own.
  const Job sub = load(with_dataset(
      "derived",
      "base = \"real\"\ndistortion = { kind = \"jpeg\", quality = 5 }\n\n[datasets.region]\n"
      "mask = \"eval\"\nvalues = [7]\n"));
  EXPECT_EQ(std::get<DerivedSource>(find_dataset(sub, "n").source).region->values,
            (std::vector<int>{7}));
  EXPECT_FALSE(
      std::get<DerivedSource>(find_dataset(load(with_dataset("derived",
                                                             "base = \"real\"\ndistortion = { "
                                                             "kind = \"jpeg\", quality = 5 }\n")),
                                           "n")
                                  .source)
          .region.has_value());
}

TEST_F(MixtureRegionTest, RegionWrongValues) {
  // "region = { mask = " is 18 characters: the mask's value is at column 19; with mask "eval",
  // "values = " starts at column 27, its array at 36 and the first element at 37.
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [] }")),
            at(29, 36,
               "datasets[2].region.values: expected at least one label value, got an empty "
               "array"));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [256] }")),
            at(29, 37, "datasets[2].region.values[0]: expected an integer in 0..255, got 256"));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [-1] }")),
            at(29, 37, "datasets[2].region.values[0]: expected an integer in 0..255, got -1"));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [1, 2, 1] }")),
            at(29, 43, "datasets[2].region.values[2]: label value 1 is listed twice"));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [1.0] }")),
            at(29, 37, "datasets[2].region.values[0]: expected an integer, got float"));
  EXPECT_EQ(
      error_of(region("region = { mask = \"eval\", values = 1 }")),
      at(29, 36, "datasets[2].region.values: expected an array of label values, got integer"));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\" }")),
            at(29, 10, "datasets[2].region: missing required key \"values\""));
  EXPECT_EQ(error_of(region("region = { values = [1] }")),
            at(29, 10, "datasets[2].region: missing required key \"mask\""));
  EXPECT_EQ(error_of(region("region = { mask = \"eval\", values = [1], label = 2 }")),
            at(29, 41, "datasets[2].region.label: unknown key (known keys: mask, values)"));
  EXPECT_EQ(error_of(region("region = \"eval\"")),
            at(29, 10, "datasets[2].region: expected a table, got string"));
}

TEST_F(MixtureRegionTest, RegionMaskReferences) {
  EXPECT_EQ(
      error_of(region("region = { mask = \"evl\", values = [1] }")),
      at(29, 19, "datasets[2].region.mask: unknown dataset \"evl\" (did you mean \"eval\"?)"));
  EXPECT_EQ(error_of(minimal_plus(
                "[[datasets]]\nid = \"s\"\nsource = \"statistics\"\npath = \"feats.npy\"\n"
                "backbone = \"pix\"\n\n[[datasets]]\nid = \"n\"\nsource = \"derived\"\nbase = "
                "\"real\"\ndistortion = { kind = \"jpeg\", quality = 5 }\n"
                "region = { mask = \"s\", values = [1] }\n")),
            at(34, 19,
               "datasets[3].region.mask: dataset \"s\" is a statistics dataset; a region's mask "
               "needs an image dataset of label images"));
  // The mask may not be made from the dataset itself.
  EXPECT_EQ(error_of(region("region = { mask = \"n\", values = [1] }")),
            at(29, 19, "datasets[2].region.mask: datasets form a cycle: \"n\" -> \"n\""));
}

TEST_F(MixtureRegionTest, CanonicalForm) {
  const Job job = load(minimal_plus(
      "[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = \"real\"\ncounterfactual = "
      "\"eval\"\nproportion = 1\nsize = 8\n\n[[datasets]]\nid = \"r\"\nsource = \"derived\"\n"
      "base = \"real\"\ndistortion = { kind = \"gaussian_blur\", sigma = 2 }\n"
      "region = { mask = \"eval\", values = [5, 1] }\n"));
  const std::string text = canonical_form(job);
  EXPECT_NE(text.find("[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = \"real\"\n"
                      "counterfactual = \"eval\"\nproportion = 1.0\nsize = 8\nseed = 0\n"),
            std::string::npos)
      << text;
  // Values are a set: written sorted.
  EXPECT_NE(text.find("base = \"real\"\ndistortion = { kind = \"gaussian_blur\", sigma = 2.0 }\n"
                      "seed = 0\nregion = { mask = \"eval\", values = [1, 5] }\n"),
            std::string::npos)
      << text;
  // Loading the canonical form gives it back.
  EXPECT_EQ(canonical_form(load(text)), text);
  // [5, 1] and [1, 5] are one job; another value, proportion or seed is another.
  const std::string same = minimal_plus(
      "[[datasets]]\nid = \"n\"\nsource = \"mixture\"\nbase = \"real\"\ncounterfactual = "
      "\"eval\"\nproportion = 1.0\nsize = 8\nseed = 0\n\n[[datasets]]\nid = \"r\"\nsource = "
      "\"derived\"\nbase = \"real\"\ndistortion = { kind = \"gaussian_blur\", sigma = 2.0 }\n"
      "region = { mask = \"eval\", values = [1, 5] }\n");
  EXPECT_EQ(config_hash(load(same)), config_hash(job));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"values = [1, 5]", "values = [1, 6]"},
           {"mask = \"eval\"", "mask = \"real\""},
           {"proportion = 1.0", "proportion = 0.5"},
           {"size = 8", "size = 9"},
           {"seed = 0\n\n", "seed = 1\n\n"},
           {"counterfactual = \"eval\"", "counterfactual = \"real\""}}) {
    std::string changed = same;
    ASSERT_NE(changed.find(from), std::string::npos) << from;
    changed.replace(changed.find(from), from.size(), to);
    EXPECT_NE(config_hash(load(changed)), config_hash(job)) << from << " -> " << to;
  }
}

// A derived dataset without a region is written exactly as before regions existed, so the config
// hash of every existing job stays what it was.
TEST_F(MixtureRegionTest, DerivedWithoutRegionKeepsItsCanonicalText) {
  const std::string text = canonical_form(
      load(with_dataset("derived",
                        "base = \"real\"\ndistortion = { kind = \"jpeg\", quality = 5 "
                        "}\n")));
  EXPECT_NE(text.find("[[datasets]]\nid = \"n\"\nsource = \"derived\"\nbase = \"real\"\n"
                      "distortion = { kind = \"jpeg\", quality = 5 }\nseed = 0\n\n[[backbones]]"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace gensweep::config::testing
