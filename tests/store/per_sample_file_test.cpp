// Per-sample results files: round trip of every array and attribute, and clear errors for files
// that are not per-sample files.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/store/per_sample_file.h"
#include "test_util.h"

namespace gensweep::store {
namespace {

using ::gensweep::testing::TempDir;

TEST(PerSampleFile, RoundTripsArraysAndAttributesExactly) {
  TempDir dir("gensweep-per-sample");
  PerSampleData data;
  data.attributes = {{"reference", "real"}, {"evaluated", "fake a"}, {"backbone", "pix"}};
  data.reals["rarity"] = {0.0, 1.25, 3.0000000000000004, std::numeric_limits<double>::infinity()};
  data.reals["reference_radius_k3"] = {0.5, 1e-300, 7.0};
  data.reals["empty"] = {};
  data.integers["nn_index"] = {2, 0, 1, (std::int64_t{1} << 40)};
  const auto path = dir.path() / "sub" / "x.h5";
  write_per_sample_file(path, data);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".partial"));
  PerSampleData back = read_per_sample_file(path);
  EXPECT_EQ(back.reals, data.reals);
  EXPECT_EQ(back.integers, data.integers);
  EXPECT_EQ(back.attributes.at("evaluated"), "fake a");
  EXPECT_EQ(back.attributes.at("format"), kPerSampleFormat);
  EXPECT_EQ(back.attributes.at("format_version"), std::to_string(kPerSampleFormatVersion));
}

TEST(PerSampleFile, RewritingReplacesTheFile) {
  TempDir dir("gensweep-per-sample");
  const auto path = dir.path() / "x.h5";
  PerSampleData a;
  a.reals["rarity"] = {1, 2, 3};
  write_per_sample_file(path, a);
  PerSampleData b;
  b.integers["nn_index"] = {4};
  write_per_sample_file(path, b);
  PerSampleData back = read_per_sample_file(path);
  EXPECT_TRUE(back.reals.empty());
  EXPECT_EQ(back.integers.at("nn_index"), std::vector<std::int64_t>{4});
}

TEST(PerSampleFile, RefusesBadDatasetNames) {
  TempDir dir("gensweep-per-sample");
  PerSampleData data;
  data.reals["bad/name"] = {1};
  EXPECT_THROW_WITH(write_per_sample_file(dir.path() / "x.h5", data), StoreError,
                    "invalid dataset name 'bad/name'");
  PerSampleData twice;
  twice.reals["rarity"] = {1};
  twice.integers["rarity"] = {1};
  EXPECT_THROW_WITH(write_per_sample_file(dir.path() / "y.h5", twice), StoreError,
                    "invalid or repeated dataset name 'rarity'");
}

TEST(PerSampleFile, ReadingSomethingElseNamesTheFileAndTheProblem) {
  TempDir dir("gensweep-per-sample");
  EXPECT_THROW_WITH(read_per_sample_file(dir.path() / "missing.h5"), StoreError,
                    "missing.h5': no such file");
  ::gensweep::testing::write_text(dir.path() / "text.h5", "not hdf5");
  EXPECT_THROW_WITH(read_per_sample_file(dir.path() / "text.h5"), StoreError,
                    "text.h5': not an HDF5 file");
}

}  // namespace
}  // namespace gensweep::store
