// Row-cache entries and keys (pipeline/result_cache.h) and the side files under the reference
// cache (store/side_file.h): entries restore every double bit for bit (NaN, infinities, -0,
// subnormals, non-finite numbers inside diagnostics); a damaged entry is an error naming what is
// wrong; the key changes with every input the numbers depend on and only with those; side files
// round-trip, filter by prefix, refuse foreign files and leave no temporary file behind.
#include "gensweep/pipeline/result_cache.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/store/side_file.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::uint64_t bits(double x) {
  return std::bit_cast<std::uint64_t>(x);
}

CachedItem sample_item() {
  CachedItem item;
  item.key = std::string(64, 'a');
  item.material = {{"group", "manifold"}, {"reference", {{"created_utc", "x"}}}};
  item.computed_utc = "2026-01-01T00:00:00Z";
  item.values["precision"] = {0.1, {{"n_reference", 97}, {"engine", {{"seconds", 0.25}}}}};
  item.values["recall"] = {-0.0, nlohmann::json::object()};
  item.values["density"] = {kNaN, {{"notes", {"a", "b"}}}};
  item.values["coverage"] = {kInf, nlohmann::json::object()};
  item.values["rarity"] = {4.9406564584124654e-324,  // the smallest subnormal
                           {{"quantiles", {1.0, kInf, -kInf}},
                            {"odd/key~name", kNaN},
                            {"nested", {{"deep", {{"x", -kInf}}}}}}};
  item.reals = {{"rarity", 41}, {"realism", 41}};
  item.integers = {{"nn_index", 41}};
  return item;
}

TEST(ResultCache, EntryRoundTripsEveryBit) {
  const CachedItem item = sample_item();
  const CachedItem back = decode_cached_item(encode_cached_item(item));
  EXPECT_EQ(back.key, item.key);
  EXPECT_EQ(back.material, item.material);
  EXPECT_EQ(back.computed_utc, item.computed_utc);
  EXPECT_EQ(back.reals, item.reals);
  EXPECT_EQ(back.integers, item.integers);
  ASSERT_EQ(back.values.size(), item.values.size());
  for (const auto& [metric, v] : item.values)
    EXPECT_EQ(bits(back.values.at(metric).value), bits(v.value)) << metric;
  EXPECT_EQ(back.values.at("precision").diagnostics, item.values.at("precision").diagnostics);
  const auto& d = back.values.at("rarity").diagnostics;
  EXPECT_EQ(d.at("quantiles")[0].get<double>(), 1.0);
  EXPECT_EQ(d.at("quantiles")[1].get<double>(), kInf);
  EXPECT_EQ(d.at("quantiles")[2].get<double>(), -kInf);
  EXPECT_TRUE(std::isnan(d.at("odd/key~name").get<double>()));
  EXPECT_EQ(d.at("nested").at("deep").at("x").get<double>(), -kInf);
  EXPECT_EQ(back.values.at("density").diagnostics.at("notes"), nlohmann::json({"a", "b"}));
}

TEST(ResultCache, DamagedEntriesAreErrorsSayingWhat) {
  const std::string text = encode_cached_item(sample_item());
  EXPECT_THROW_WITH(decode_cached_item(text.substr(0, text.size() / 2)), IoError,
                    "malformed gensweep-row-cache file");
  EXPECT_THROW_WITH(decode_cached_item("{\"format\": \"something-else\"}"), IoError,
                    "not a gensweep-row-cache file");
  auto doc = nlohmann::json::parse(text);
  doc["format_version"] = 2;
  EXPECT_THROW_WITH(decode_cached_item(doc.dump()), IoError, "format_version 2 is not 1");
  doc = nlohmann::json::parse(text);
  doc["values"]["precision"]["value"] = 0.2;  // edited by hand: no longer what the bits say
  EXPECT_THROW_WITH(decode_cached_item(doc.dump()), IoError, "values.precision: value and bits");
  doc = nlohmann::json::parse(text);
  doc["values"]["precision"]["bits"] = "xyz";
  EXPECT_THROW_WITH(decode_cached_item(doc.dump()), IoError, "values.precision.bits");
  doc = nlohmann::json::parse(text);
  doc["values"]["rarity"]["non_finite"]["/quantiles/1"] = "infinity";
  EXPECT_THROW_WITH(decode_cached_item(doc.dump()), IoError, "non_finite names 'infinity'");
}

class ItemKeyTest : public ::testing::Test {
 protected:
  ItemKey key(const config::MetricParameterValues& set = {},
              std::vector<std::string> metrics = {"precision", "recall"},
              const std::string& group = "manifold") const {
    std::map<std::string, MetricParameters> parameters;
    for (const auto& m : metrics)
      parameters.emplace(m, MetricParameters(m, set));
    return make_item_key(group, metrics, parameters, reference_, evaluated_);
  }
  store::Attributes reference_ = {{"dataset_fingerprint", "sha256:1"},
                                  {"created_utc", "2026-01-01T00:00:00Z"},
                                  {"statistics_sha256", "ab"}};
  store::Attributes evaluated_ = {{"dataset_fingerprint", "sha256:2"},
                                  {"created_utc", "2026-01-02T00:00:00Z"},
                                  {"statistics_sha256", "cd"}};
};

TEST_F(ItemKeyTest, ChangesWithEveryInputAndOnlyWithThem) {
  const ItemKey base = key();
  EXPECT_EQ(base.hex.size(), 64u);
  EXPECT_EQ(key().hex, base.hex);                             // deterministic
  EXPECT_EQ(key({}, {"recall", "precision"}).hex, base.hex);  // member order: same numbers
  EXPECT_NE(key({}, {"precision"}).hex, base.hex);            // other members
  EXPECT_NE(key({}, {"precision", "recall"}, "other").hex, base.hex);
  EXPECT_NE(
      key({{"precision", {{"k", std::int64_t{4}}}}, {"recall", {{"k", std::int64_t{4}}}}}).hex,
      base.hex);
  // Setting a parameter to its default value changes the key: KID's subset_size rule depends on
  // whether the job set it.
  EXPECT_NE(key({{"precision", {{"k", std::int64_t{3}}}}}).hex, base.hex);
  EXPECT_NE(key({{"kid", {{"subset_size", std::int64_t{1000}}}}}, {"kid"}, "kid").hex,
            key({}, {"kid"}, "kid").hex);
  // A parameter of a metric that is not a member: the same numbers, the same key.
  EXPECT_EQ(key({{"density", {{"k", std::int64_t{7}}}}}).hex, base.hex);
  evaluated_["created_utc"] = "2026-02-01T00:00:00Z";  // the evaluated store was rebuilt
  const ItemKey rebuilt = key();
  EXPECT_NE(rebuilt.hex, base.hex);
  EXPECT_EQ(describe_key_change(base.material, rebuilt.material),
            "evaluated.created_utc was \"2026-01-02T00:00:00Z\", now \"2026-02-01T00:00:00Z\"");
  reference_["statistics_sha256"] = "ef";
  EXPECT_NE(key().hex, rebuilt.hex);
  // The tool version and commit are part of the key.
  EXPECT_TRUE(base.material.contains("tool_version"));
  EXPECT_TRUE(base.material.contains("git_commit"));
}

TEST(ResultCachePath, OneFilePerItemAndParameterVariant) {
  Plan plan;
  plan.output_dir = "/out";
  ReductionTask task{"real", "fake", "pix", {"fd"}, {}, false};
  std::map<std::string, MetricParameters> p = {{"fd", MetricParameters("fd", {})}};
  const auto path = result_cache_path(plan, task, "fd", {"fd"}, p);
  EXPECT_EQ(path.parent_path(), std::filesystem::path("/out/cache/rows"));
  EXPECT_EQ(path.filename().string().rfind("fake__vs__real__pix__fd__", 0), 0u) << path;
  std::map<std::string, MetricParameters> q = {
      {"fd", MetricParameters("fd", {{"fd", {{"bootstrap", std::int64_t{10}}}}})}};
  EXPECT_NE(result_cache_path(plan, task, "fd", {"fd"}, q), path);
  EXPECT_EQ(per_sample_key_attribute("manifold"), "cache_key_manifold");
}

TEST(SideFile, RoundTripPrefixAndNoTemporaryLeft) {
  testing::TempDir dir("gensweep-side-file");
  const auto path = dir.path() / "x.refcache.h5";
  store::SideFile file;
  file.attributes = {{"source.rows", "3"}, {"note", "ünïcode"}};
  store::SideArray radii;
  radii.shape = {3};
  radii.reals = {0.5, kInf, -0.0};
  radii.attributes = {{"kind", "knn_radii"}};
  store::SideArray cube;
  cube.shape = {2, 1, 3};
  cube.integer = true;
  cube.integers = {1, -2, 3, std::numeric_limits<std::int64_t>::max(), 0, -7};
  store::SideArray empty;
  empty.shape = {0};
  file.arrays["radii/k3"] = radii;
  file.arrays["gmm/abc/cube"] = cube;
  file.arrays["gmm/abc/empty"] = empty;
  store::write_side_file(path, "test-format", file);
  // Only the file itself: the temporary name was renamed.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"x.refcache.h5"});

  const auto back = store::read_side_file(path, "test-format");
  EXPECT_EQ(back.attributes, file.attributes);
  ASSERT_EQ(back.arrays.size(), 3u);
  EXPECT_EQ(back.arrays.at("radii/k3").shape, radii.shape);
  EXPECT_EQ(bits(back.arrays.at("radii/k3").reals[2]), bits(-0.0));
  EXPECT_EQ(back.arrays.at("radii/k3").reals[1], kInf);
  EXPECT_EQ(back.arrays.at("radii/k3").attributes, radii.attributes);
  EXPECT_TRUE(back.arrays.at("gmm/abc/cube").integer);
  EXPECT_EQ(back.arrays.at("gmm/abc/cube").shape, cube.shape);
  EXPECT_EQ(back.arrays.at("gmm/abc/cube").integers, cube.integers);
  EXPECT_TRUE(back.arrays.at("gmm/abc/empty").reals.empty());
  const auto only_gmm = store::read_side_file(path, "test-format", "gmm/");
  EXPECT_EQ(only_gmm.arrays.size(), 2u);
  EXPECT_EQ(only_gmm.arrays.count("radii/k3"), 0u);

  // Rewriting replaces the whole file.
  file.arrays.erase("radii/k3");
  store::write_side_file(path, "test-format", file);
  EXPECT_EQ(store::read_side_file(path, "test-format").arrays.size(), 2u);
}

TEST(SideFile, ErrorsNameTheFileAndTheProblem) {
  testing::TempDir dir("gensweep-side-file");
  const auto path = dir.path() / "x.h5";
  EXPECT_THROW_WITH(store::read_side_file(path, "f"), StoreError, "x.h5': no such file");
  store::SideFile file;
  store::SideArray a;
  a.shape = {2};
  a.reals = {1.0};
  file.arrays["a"] = a;
  EXPECT_THROW_WITH(store::write_side_file(path, "f", file), StoreError,
                    "array 'a' holds 1 values, its shape needs 2");
  file.arrays.clear();
  a.reals = {1.0, 2.0};
  file.arrays["../a"] = a;
  EXPECT_THROW_WITH(store::write_side_file(path, "f", file), StoreError,
                    "invalid array path '../a'");
  file.arrays.clear();
  file.arrays["a"] = a;
  file.attributes["format"] = "mine";
  EXPECT_THROW_WITH(store::write_side_file(path, "f", file), StoreError,
                    "attribute 'format' is the side file's own");
  file.attributes.clear();
  store::write_side_file(path, "f", file);
  EXPECT_THROW_WITH(store::read_side_file(path, "g"), StoreError,
                    "not a g file (attribute 'format' is 'f')");
  testing::write_text(path, "plain text");
  EXPECT_THROW_WITH(store::read_side_file(path, "f"), StoreError, "not a readable HDF5 file");
}

}  // namespace
}  // namespace gensweep::pipeline
