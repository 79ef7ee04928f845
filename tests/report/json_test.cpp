#include "gensweep/report/json.h"
#include "gensweep/core/error.h"
#include "sample_results.h"
#include "test_util.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace gensweep::report {
namespace {

using testing::sample_results;

// The sample with its non-finite values replaced, so that RunResults::operator== can compare it
// (NaN != NaN).
RunResults finite_sample() {
  RunResults r = sample_results();
  r.entries[4].value = 0.25;
  r.entries[4].diagnostics["std"] = 0.125;
  return r;
}

RunResults parse_back(const RunResults& r) {
  return results_from_json(nlohmann::json::parse(to_json_text(r)));
}

TEST(ReportJson, RoundTripsThroughText) {
  RunResults r = finite_sample();
  EXPECT_EQ(parse_back(r), r);
}

TEST(ReportJson, BothWaysRoundTripAndAreAbsentWithoutThem) {
  const RunResults r = testing::sample_results_with_both_ways();
  EXPECT_EQ(parse_back(r).both_ways, r.both_ways);
  EXPECT_EQ(parse_back(r).rarest_overlap, r.rarest_overlap);
  const auto doc = to_json(r);
  // Values keyed by metric, null where not computed.
  EXPECT_TRUE(doc["both_ways"][0]["rows"][1]["values"]["kid"].is_null());
  EXPECT_EQ(doc["both_ways"][0]["rows"][2]["values"]["fd"], 0.0);
  EXPECT_EQ(doc["rarest_overlap"][1]["jaccard"], 1.0);
  // A run without a both-ways comparison writes neither key: its document is as before.
  const auto plain = to_json(testing::sample_results());
  EXPECT_FALSE(plain.contains("both_ways"));
  EXPECT_FALSE(plain.contains("rarest_overlap"));
}

TEST(ReportJson, DocumentNamesSchemaAndVersion) {
  auto doc = to_json(sample_results());
  EXPECT_EQ(doc["schema"], "gensweep-results");
  EXPECT_EQ(doc["schema_version"], 1);
  // Schema order in the text: provenance first.
  EXPECT_LT(to_json_text(sample_results()).find("\"schema\""),
            to_json_text(sample_results()).find("\"entries\""));
}

TEST(ReportJson, DoublesRoundTripExactly) {
  // Hard cases (shortest form vs 17 digits, subnormals, extremes) and random bit patterns.
  std::vector<double> values = {0.1,
                                1.0 / 3.0,
                                2.0,
                                -0.0,
                                1e300,
                                123456789.123456789,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::epsilon(),
                                std::nextafter(1.0, 2.0)};
  std::mt19937_64 rng(20260131);
  while (values.size() < 2000) {
    double v = std::bit_cast<double>(rng());
    if (std::isfinite(v)) values.push_back(v);
  }
  RunResults r;
  for (double v : values)
    r.entries.push_back({"a", "b", "c", "fd", v, {{"x", v}}});
  RunResults back = parse_back(r);
  ASSERT_EQ(back.entries.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(back.entries[i].value),
              std::bit_cast<std::uint64_t>(values[i]))
        << "value " << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(back.entries[i].diagnostics["x"].get<double>()),
              std::bit_cast<std::uint64_t>(values[i]))
        << "diagnostic " << i;
  }
}

TEST(ReportJson, NonFiniteWrittenAsNullWithNote) {
  auto doc = to_json(sample_results());
  const auto& entry = doc["entries"][4];
  EXPECT_TRUE(entry["value"].is_null());
  EXPECT_TRUE(entry["diagnostics"]["std"].is_null());
  EXPECT_EQ(entry["diagnostics"]["non_finite"],
            (nlohmann::json{{"/value", "nan"}, {"/diagnostics/std", "inf"}}));
  // Finite entries carry no note.
  EXPECT_FALSE(doc["entries"][0]["diagnostics"].contains("non_finite"));
}

TEST(ReportJson, NonFiniteRestoredOnRead) {
  RunResults r;
  nlohmann::json diagnostics = {{"eigs", {1.0, -std::numeric_limits<double>::infinity()}},
                                {"a/b~c", std::numeric_limits<double>::infinity()}};
  r.entries.push_back({"a", "b", "c", "fd", -std::numeric_limits<double>::infinity(), diagnostics});
  r.entries.push_back({"a", "b", "c", "kid", std::numeric_limits<double>::quiet_NaN(), {}});
  auto doc = to_json(r);
  EXPECT_EQ(
      doc["entries"][0]["diagnostics"]["non_finite"],
      (nlohmann::json{
          {"/value", "-inf"}, {"/diagnostics/eigs/1", "-inf"}, {"/diagnostics/a~1b~0c", "inf"}}));

  RunResults back = parse_back(r);
  EXPECT_EQ(back.entries[0].value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.entries[0].diagnostics, diagnostics);
  EXPECT_TRUE(std::isnan(back.entries[1].value));
  EXPECT_EQ(back.entries[1].diagnostics, nlohmann::json::object());
}

TEST(ReportJson, CallerCannotForgeNonFiniteNote) {
  RunResults r;
  r.entries.push_back({"a", "b", "c", "fd", 1.0, {{"non_finite", {{"/value", "nan"}}}}});
  auto doc = to_json(r);
  EXPECT_FALSE(doc["entries"][0]["diagnostics"].contains("non_finite"));
  EXPECT_EQ(parse_back(r).entries[0].value, 1.0);
}

TEST(ReportJson, NonFiniteSecondsIsNull) {
  RunResults r;
  r.seconds = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(to_json(r)["seconds"].is_null());
  EXPECT_TRUE(std::isnan(parse_back(r).seconds));
}

TEST(ReportJson, InvalidUtf8IsReplacedNotFatal) {
  RunResults r;
  r.job_file = "/data/caf\xE9.toml";  // Latin-1 file name: not UTF-8
  std::string text;
  ASSERT_NO_THROW(text = to_json_text(r));
  EXPECT_NE(text.find("/data/caf\xEF\xBF\xBD.toml"), std::string::npos);  // U+FFFD
}

TEST(ReportJson, UnicodeIdsRoundTrip) {
  RunResults r = finite_sample();
  r.datasets[0].id = "célèbA-HQ \"ffhq\", 日本";
  EXPECT_EQ(parse_back(r), r);
}

TEST(ReportJson, WriteAndReadFile) {
  testing::TempDir dir;
  RunResults r = finite_sample();
  write_json(r, dir / "results.json");
  EXPECT_EQ(read_json(dir / "results.json"), r);
  EXPECT_EQ(testing::read_text(dir / "results.json"), to_json_text(r));
}

TEST(ReportJson, RejectsOtherDocuments) {
  EXPECT_THROW_WITH(results_from_json({{"schema", "other"}}), IoError,
                    "not a gensweep-results document");
  auto doc = to_json(finite_sample());
  doc["schema_version"] = 2;
  EXPECT_THROW_WITH(results_from_json(doc), IoError,
                    "schema_version 2 is not one this gensweep reads (1 to 1)");
  doc = to_json(finite_sample());
  doc.erase("entries");
  EXPECT_THROW_WITH(results_from_json(doc), IoError, "key 'entries' not found");
  doc = to_json(finite_sample());
  doc["ranks"] = "two";
  EXPECT_THROW_WITH(results_from_json(doc), IoError, "type must be number, but is string");
  doc = to_json(sample_results());
  doc["entries"][4]["diagnostics"]["non_finite"]["/value"] = "NaN";
  EXPECT_THROW_WITH(
      results_from_json(doc), IoError,
      "entries[4].diagnostics.non_finite: non_finite value 'NaN' is not nan, inf or -inf");
}

TEST(ReportJson, ReadJsonNamesThePath) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.json", "{\"schema\": ");
  EXPECT_THROW_WITH(read_json(dir / "bad.json"), IoError, "bad.json': not valid JSON");
  testing::write_text(dir / "other.json", "[]");
  EXPECT_THROW_WITH(read_json(dir / "other.json"), IoError,
                    "other.json': not a gensweep-results document");
  EXPECT_THROW_WITH(read_json(dir / "missing.json"), IoError, "cannot read");
}

}  // namespace
}  // namespace gensweep::report
