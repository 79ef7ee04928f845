#include "gensweep/store/provenance.h"

#include "test_util.h"

namespace gensweep::store {
namespace {

Attributes job() {
  return {{"backbone", "fid-inception"},
          {"backbone_identity", "cd34"},
          {"config_hash", "77aa"},
          {"created_utc", "2026-11-22T21:00:00Z"},
          {"dataset_fingerprint", "sha256:1234"},
          {"git_commit", "0123456789ab"},
          {"preprocessing", "resize=bilinear 299x299"},
          {"tool_version", "0.2.0"}};
}

TEST(DescribeMismatch, IdenticalProvenanceMatches) {
  EXPECT_EQ(describe_mismatch(job(), job()), std::nullopt);
}

TEST(DescribeMismatch, NamesTheDifferingAttributeWithBothValues) {
  Attributes stored = job();
  stored["backbone_identity"] = "ab12";
  EXPECT_EQ(describe_mismatch(stored, job()).value_or(""),
            "attribute 'backbone_identity' differs: store has 'ab12', job expects 'cd34'");
}

TEST(DescribeMismatch, ReportsTheFirstDifferenceInKeyOrder) {
  Attributes stored = job();
  stored["preprocessing"] = "resize=bicubic 299x299";
  stored["config_hash"] = "0000";
  EXPECT_EQ(describe_mismatch(stored, job()).value_or(""),
            "attribute 'config_hash' differs: store has '0000', job expects '77aa'");
}

TEST(DescribeMismatch, AttributeMissingFromTheStore) {
  Attributes stored = job();
  stored.erase("dataset_fingerprint");
  EXPECT_EQ(describe_mismatch(stored, job()).value_or(""),
            "attribute 'dataset_fingerprint' is missing from the store, job expects "
            "'sha256:1234'");
}

TEST(DescribeMismatch, IgnoresToolVersionCommitAndTimestamps) {
  // A rebuilt or upgraded gensweep must reuse stores whose inputs did not change.
  Attributes stored = job();
  stored["tool_version"] = "0.1.0";
  stored["git_commit"] = "ffffffffffff";
  stored["created_utc"] = "2020-01-01T00:00:00Z";
  stored.erase("complete_utc");
  Attributes expected = job();
  expected["complete_utc"] = "2030-01-01T00:00:00Z";
  EXPECT_EQ(describe_mismatch(stored, expected), std::nullopt);
  stored.erase("git_commit");
  EXPECT_EQ(describe_mismatch(stored, expected), std::nullopt);
}

TEST(DescribeMismatch, ExtraStoredAttributesAreNotDifferences) {
  Attributes stored = job();
  stored.emplace("schema_version", "1");
  stored["complete_utc"] = "2026-11-22T22:00:00Z";
  stored["note"] = "anything";
  EXPECT_EQ(describe_mismatch(stored, job()), std::nullopt);
}

TEST(DescribeMismatch, EmptyValuesAreComparedToo) {
  Attributes stored = job();
  stored["preprocessing"] = "";
  EXPECT_EQ(describe_mismatch(stored, job()).value_or(""),
            "attribute 'preprocessing' differs: store has '', job expects 'resize=bilinear "
            "299x299'");
}

}  // namespace
}  // namespace gensweep::store
