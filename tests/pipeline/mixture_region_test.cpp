// The mixture draw (pipeline/mixture_draw.h), the mixture source, and derived sources confined to
// a labelled region: counts, reproducibility, ids, pixels taken from the right ingredient, region
// compositing as a property (outside: the base bit for bit; inside: the whole-image distortion),
// failures, and fingerprints that move exactly when an ingredient used changes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/io/encode.h"
#include "gensweep/io/region.h"
#include "gensweep/pipeline/image_source.h"
#include "gensweep/pipeline/mixture_draw.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

using ::gensweep::testing::TempDir;
namespace fs = std::filesystem;

std::int64_t count_counterfactual(const std::vector<MixturePick>& picks) {
  return std::count_if(picks.begin(), picks.end(),
                       [](const MixturePick& p) { return p.counterfactual; });
}

// ---- the draw ---------------------------------------------------------------------------------

TEST(MixtureDraw, CountsAreExact) {
  // round(proportion * size), half to even; proportions and sizes whose product is exact.
  struct Case {
    double proportion;
    std::int64_t size, expected;
  };
  for (const Case& c : {Case{0.25, 8, 2}, Case{0.5, 3, 2}, Case{0.5, 5, 2}, Case{0.75, 4, 3},
                        Case{0.125, 20, 2}, Case{0.0, 7, 0}, Case{1.0, 7, 7}, Case{0.5, 1, 0}}) {
    const auto picks = draw_mixture(40, c.proportion, c.size, 11);
    ASSERT_EQ(static_cast<std::int64_t>(picks.size()), c.size);
    EXPECT_EQ(count_counterfactual(picks), c.expected) << c.proportion << " of " << c.size;
    EXPECT_EQ(counterfactual_count(c.proportion, c.size), c.expected);
    // The counterfactual ones come first.
    for (std::int64_t k = 0; k < c.size; ++k)
      EXPECT_EQ(picks[static_cast<std::size_t>(k)].counterfactual, k < c.expected);
  }
}

TEST(MixtureDraw, DistinctIndicesInRangeAndAWholeDrawIsAPermutation) {
  const auto picks = draw_mixture(50, 0.3, 50, 5);
  std::set<std::int64_t> seen;
  for (const auto& p : picks) {
    EXPECT_GE(p.base_index, 0);
    EXPECT_LT(p.base_index, 50);
    seen.insert(p.base_index);
  }
  EXPECT_EQ(seen.size(), 50u);
  const auto part = draw_mixture(1000, 0.3, 100, 5);
  std::set<std::int64_t> part_seen;
  for (const auto& p : part)
    part_seen.insert(p.base_index);
  EXPECT_EQ(part_seen.size(), 100u);
}

TEST(MixtureDraw, SameSeedSameDrawOtherSeedOtherDraw) {
  EXPECT_EQ(draw_mixture(100, 0.4, 30, 123), draw_mixture(100, 0.4, 30, 123));
  EXPECT_NE(draw_mixture(100, 0.4, 30, 123), draw_mixture(100, 0.4, 30, 124));
  EXPECT_NE(draw_mixture(100, 0.4, 30, 0), draw_mixture(100, 0.4, 30, 1));
}

TEST(MixtureDraw, ProportionZeroIsAllBaseAndOneAllCounterfactual) {
  for (const auto& p : draw_mixture(20, 0.0, 20, 3))
    EXPECT_FALSE(p.counterfactual);
  for (const auto& p : draw_mixture(20, 1.0, 20, 3))
    EXPECT_TRUE(p.counterfactual);
}

// A sweep over proportions with one seed keeps the ids and their order; the counterfactual ones
// grow by inclusion.
TEST(MixtureDraw, ProportionsShareIdsAndNest) {
  const auto low = draw_mixture(60, 0.2, 25, 9);
  const auto high = draw_mixture(60, 0.7, 25, 9);
  for (std::size_t k = 0; k < low.size(); ++k) {
    EXPECT_EQ(low[k].base_index, high[k].base_index);
    if (low[k].counterfactual) {
      EXPECT_TRUE(high[k].counterfactual);
    }
  }
  EXPECT_EQ(count_counterfactual(low), 5);
  EXPECT_EQ(count_counterfactual(high), 18);  // 17.5, half to even
}

// Every base image is equally likely to be drawn: over 4000 seeds, drawing 1 of 4 gives each
// index about 1000 times (binomial sd ~27; the bounds are over 7 sd wide).
TEST(MixtureDraw, EveryImageIsEquallyLikely) {
  std::array<int, 4> hits{};
  for (std::uint64_t seed = 0; seed < 4000; ++seed)
    ++hits[static_cast<std::size_t>(draw_mixture(4, 0.0, 1, seed)[0].base_index)];
  for (const int h : hits) {
    EXPECT_GT(h, 800);
    EXPECT_LT(h, 1200);
  }
}

TEST(MixtureDraw, RefusesSizesOutsideTheBase) {
  EXPECT_THROW(draw_mixture(10, 0.5, 11, 0), DataError);
  EXPECT_THROW(draw_mixture(10, 0.5, 0, 0), DataError);
  EXPECT_THROW(draw_mixture(10, 1.5, 5, 0), DataError);
  try {
    draw_mixture(10, 0.5, 11, 0);
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "mixture: size 11 is not in 1..10 (the base dataset's images)");
  }
}

// ---- images on disk ---------------------------------------------------------------------------

void write_png(const fs::path& path, const io::Image& image) {
  fs::create_directories(path.parent_path());
  const auto bytes = io::encode_png(image);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// A w x h image of seeded random pixels; `labels` limits the values to 0..labels-1 in every
// channel (a label image).
io::Image random_image(int w, int h, std::uint64_t seed, int labels = 256) {
  io::Image image{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w * h * 3))};
  Rng rng(seed);
  for (auto& v : image.rgb)
    v = static_cast<std::uint8_t>(rng.below(static_cast<std::uint64_t>(labels)));
  return image;
}

io::Image loaded(const ImageSource& source, std::int64_t i) {
  io::DecodeOutcome out = source.load(i, {});
  EXPECT_TRUE(out.ok) << out.reason;
  return out.image;
}

io::Distortion distortion(io::DistortionKind kind, double sigma, std::uint64_t seed = 0) {
  io::Distortion d{};
  d.kind = kind;
  d.sigma = sigma;
  d.seed = seed;
  return d;
}

std::string fingerprint(const ImageSource& source) {
  return source.fingerprint_from(source.content_digests(0, source.size()));
}

class ComposedSources : public ::testing::Test {
 protected:
  void SetUp() override {
    // Base and counterfactual images with the same ids and other pixels; label images too.
    for (int i = 0; i < kImages; ++i) {
      const std::string id = fmt::format("f{:02d}.png", i);
      write_png(dir_ / "base" / id, random_image(12, 10, 100 + i));
      write_png(dir_ / "cf" / id, random_image(12, 10, 200 + i));
      write_png(dir_ / "labels" / id, random_image(12, 10, 300 + i, 5));
    }
  }
  static constexpr int kImages = 9;
  TempDir dir_{"gensweep-mixregion"};
};

TEST_F(ComposedSources, MixtureImagesComeFromTheDrawnSourceUnderTheBaseId) {
  const auto base = make_folder_source(dir_ / "base", 0, -1);
  const auto cf = make_folder_source(dir_ / "cf", 0, -1);
  const auto mix = make_mixture_source(base, "base", cf, "cf", 0.5, 6, 42);
  const auto picks = draw_mixture(kImages, 0.5, 6, 42);
  ASSERT_EQ(mix->size(), 6);
  for (std::int64_t i = 0; i < 6; ++i) {
    const MixturePick& p = picks[static_cast<std::size_t>(i)];
    EXPECT_EQ(mix->id(i), base->id(p.base_index));
    const ImageSource& from = p.counterfactual ? *cf : *base;  // same ids in both folders
    EXPECT_EQ(loaded(*mix, i).rgb, loaded(from, p.base_index).rgb) << i;
    // Base images keep their manifest entries; counterfactuals from another folder have none.
    if (p.counterfactual)
      EXPECT_EQ(mix->file_entry(i), nullptr);
    else
      EXPECT_EQ(mix->file_entry(i)->path, base->file_entry(p.base_index)->path);
  }
  EXPECT_EQ(mix->files_root(), base->files_root());
  EXPECT_EQ(mix->description(),
            "mixture: 3 of 6 images from cf (proportion 0.5), the rest from base, seed 42");
}

TEST_F(ComposedSources, MixtureProportionZeroIsTheBaseImagesOfTheDraw) {
  const auto base = make_folder_source(dir_ / "base", 0, -1);
  const auto cf = make_folder_source(dir_ / "cf", 0, -1);
  const auto none = make_mixture_source(base, "base", cf, "cf", 0.0, kImages, 1);
  const auto all = make_mixture_source(base, "base", cf, "cf", 1.0, kImages, 1);
  for (std::int64_t i = 0; i < kImages; ++i) {
    const std::int64_t b =
        draw_mixture(kImages, 0.0, kImages, 1)[static_cast<std::size_t>(i)].base_index;
    EXPECT_EQ(loaded(*none, i).rgb, loaded(*base, b).rgb);
    EXPECT_EQ(loaded(*all, i).rgb, loaded(*cf, b).rgb);
    EXPECT_EQ(none->id(i), all->id(i));
  }
}

TEST_F(ComposedSources, MixtureNamesTheMissingCounterfactualId) {
  fs::remove(dir_ / "cf" / "f04.png");
  const auto base = make_folder_source(dir_ / "base", 0, -1);
  const auto cf = make_folder_source(dir_ / "cf", 0, -1);
  try {
    // Every image is drawn, so f04 is; even at proportion 0 its twin is required.
    make_mixture_source(base, "base", cf, "cf", 0.0, kImages, 3);
    ADD_FAILURE() << "no DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "counterfactual dataset \"cf\" has no image with id \"f04.png\" (drawn from "
                  "base dataset \"base\", image 4)"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ComposedSources, MixtureFingerprintFollowsTheImagesUsedAndTheDraw) {
  const auto make = [&](double proportion, std::uint64_t seed) {
    return make_mixture_source(make_folder_source(dir_ / "base", 0, -1), "base",
                               make_folder_source(dir_ / "cf", 0, -1), "cf", proportion, 4, seed);
  };
  const std::string before = fingerprint(*make(0.5, 8));
  EXPECT_EQ(fingerprint(*make(0.5, 8)), before);
  EXPECT_NE(fingerprint(*make(0.75, 8)), before);
  EXPECT_NE(fingerprint(*make(0.5, 9)), before);
  // An image the draw does not use changes nothing; a counterfactual it uses changes it.
  const auto picks = draw_mixture(kImages, 0.5, 4, 8);
  std::set<std::int64_t> used;
  for (const auto& p : picks)
    used.insert(p.base_index);
  std::int64_t unused = 0;
  while (used.count(unused))
    ++unused;
  write_png(dir_ / "cf" / fmt::format("f{:02d}.png", unused), random_image(12, 10, 999));
  EXPECT_EQ(fingerprint(*make(0.5, 8)), before);
  write_png(dir_ / "cf" / fmt::format("f{:02d}.png", picks[0].base_index),
            random_image(12, 10, 998));
  EXPECT_NE(fingerprint(*make(0.5, 8)), before);
}

// The property the region promises, on random images and labels: outside the region the base's
// bits, inside it the same distortion of the whole image (the derived dataset without a region).
TEST_F(ComposedSources, RegionKeepsTheBaseOutsideAndTheWholeImageDistortionInside) {
  const auto base = make_folder_source(dir_ / "base", 0, -1);
  const auto labels = make_folder_source(dir_ / "labels", 0, -1);
  const io::Distortion blur = distortion(io::DistortionKind::kGaussianBlur, 1.5);
  const io::Distortion noise = distortion(io::DistortionKind::kGaussianNoise, 20, 5);
  const std::vector<int> values = {1, 3};
  for (const io::Distortion& d : {blur, noise}) {
    const auto whole = make_derived_source(base, "base", d);
    const auto region = make_derived_source(base, "base", d, LabelRegion{labels, "labels", values});
    std::int64_t inside = 0, outside = 0, changed_inside = 0;
    for (std::int64_t i = 0; i < kImages; ++i) {
      const io::Image original = loaded(*base, i), distorted = loaded(*whole, i),
                      out = loaded(*region, i), label = loaded(*labels, i);
      ASSERT_EQ(out.rgb.size(), original.rgb.size());
      for (std::size_t p = 0; p < out.rgb.size() / 3; ++p) {
        const bool in = label.rgb[3 * p] == 1 || label.rgb[3 * p] == 3;
        (in ? inside : outside) += 1;
        for (std::size_t c = 0; c < 3; ++c) {
          EXPECT_EQ(out.rgb[3 * p + c], (in ? distorted : original).rgb[3 * p + c])
              << "image " << i << " pixel " << p;
          if (in && distorted.rgb[3 * p + c] != original.rgb[3 * p + c]) ++changed_inside;
        }
      }
      EXPECT_EQ(region->id(i), base->id(i));
    }
    // Both parts were exercised, and the distortion did something inside.
    EXPECT_GT(inside, 0);
    EXPECT_GT(outside, 0);
    EXPECT_GT(changed_inside, 0);
  }
}

TEST_F(ComposedSources, RegionLabelImageOfAnotherSizeFailsThatImageNamingBoth) {
  write_png(dir_ / "labels" / "f02.png", random_image(8, 10, 1, 5));
  const auto base = make_folder_source(dir_ / "base", 0, -1);
  const io::Distortion blur = distortion(io::DistortionKind::kGaussianBlur, 1);
  const auto region = make_derived_source(
      base, "base", blur,
      LabelRegion{make_folder_source(dir_ / "labels", 0, -1), "labels", std::vector<int>{1}});
  const io::DecodeOutcome bad = region->load(2, {});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.reason,
            "image \"f02.png\" of \"base\" is 12 x 10 but its label image \"f02.png\" of "
            "\"labels\" is 8 x 10");
  EXPECT_TRUE(region->load(1, {}).ok);
}

TEST_F(ComposedSources, RegionNeedsALabelImageForEveryId) {
  fs::remove(dir_ / "labels" / "f07.png");
  const io::Distortion blur = distortion(io::DistortionKind::kGaussianBlur, 1);
  try {
    make_derived_source(make_folder_source(dir_ / "base", 0, -1), "base", blur,
                        LabelRegion{make_folder_source(dir_ / "labels", 0, -1), "labels", {1}});
    ADD_FAILURE() << "no DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "region mask \"labels\" has no label image with id \"f07.png\" (image 7 of "
              "\"base\")");
  }
}

TEST_F(ComposedSources, RegionFingerprintFollowsLabelsAndValues) {
  const io::Distortion blur = distortion(io::DistortionKind::kGaussianBlur, 1);
  const auto make = [&](std::vector<int> values) {
    return make_derived_source(
        make_folder_source(dir_ / "base", 0, -1), "base", blur,
        LabelRegion{make_folder_source(dir_ / "labels", 0, -1), "labels", std::move(values)});
  };
  const std::string before = fingerprint(*make({1}));
  EXPECT_EQ(fingerprint(*make({1})), before);
  EXPECT_NE(fingerprint(*make({2})), before);
  // Values are a set.
  EXPECT_EQ(fingerprint(*make({3, 1})), fingerprint(*make({1, 3})));
  EXPECT_EQ(make({3, 1})->description(),
            "derived: gaussian_blur(sigma=1) seed 0 of base in region labels[1,3]");
  const auto whole = make_derived_source(make_folder_source(dir_ / "base", 0, -1), "base", blur);
  EXPECT_NE(fingerprint(*whole), before);
  write_png(dir_ / "labels" / "f03.png", random_image(12, 10, 77, 5));
  EXPECT_NE(fingerprint(*make({1})), before);
}

TEST(Region, CompositeRefusesImagesOfDifferentSizes) {
  const io::Image a = random_image(4, 4, 1), b = random_image(4, 3, 2);
  EXPECT_THROW(io::composite_in_region(a, a, b, io::make_label_set(std::vector<int>{0})),
               DataError);
  EXPECT_THROW(io::make_label_set(std::vector<int>{256}), ConfigError);
}

}  // namespace
}  // namespace gensweep::pipeline
