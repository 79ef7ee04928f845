// [comparisons.parameters] in job files and --param assignments: names, types and ranges checked
// against the specs the loader is given, errors located at the offending line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_fixture.h"
#include "gensweep/config/canonical.h"
#include "gensweep/config/metric_parameters.h"

namespace gensweep::config::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<ParameterSpec> test_specs() {
  return {
      {"kid", "subsets", ParameterType::kInteger, 1, 1e6, std::int64_t{100}, ""},
      {"kid", "full", ParameterType::kBoolean, 0, 0, false, ""},
      {"kid", "gamma", ParameterType::kNumber, 0, std::numeric_limits<double>::infinity(), 0.0, ""},
      {"precision", "k", ParameterType::kInteger, 1, 1000, std::int64_t{3}, ""},
      {"fd", "confidence", ParameterType::kNumber, 0.5, 0.999, 0.95, ""},
  };
}

class MetricParametersTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    options_.metric_parameters = test_specs();
  }
};

// Line 23 onwards of minimal_plus: the comparison of kMinimalJob continues.
std::string with_parameters(std::string_view table) {
  return minimal_plus(std::string("metrics = [\"fd\", \"kid\", \"precision\"]\n") +
                      "[comparisons.parameters]\n" + std::string(table));
}

TEST_F(MetricParametersTest, ValuesAreTypedAndKeptPerMetric) {
  Job job =
      load(with_parameters("kid = { subsets = 50, full = true, gamma = 2 }\n"
                           "precision = { k = 5 }\n"));
  const auto& p = job.comparisons.at(0).parameters;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(std::get<std::int64_t>(p.at("kid").at("subsets")), 50);
  EXPECT_EQ(std::get<bool>(p.at("kid").at("full")), true);
  // An integer where a number is expected is taken as that number.
  EXPECT_EQ(std::get<double>(p.at("kid").at("gamma")), 2.0);
  EXPECT_EQ(std::get<std::int64_t>(p.at("precision").at("k")), 5);
}

TEST_F(MetricParametersTest, CanonicalFormAndHashIncludeParameters) {
  Job a = load(with_parameters("precision = { k = 5 }\n"));
  Job b = load(with_parameters("precision = { k = 4 }\n"));
  Job none = load(minimal_plus("metrics = [\"fd\", \"kid\", \"precision\"]\n"));
  EXPECT_THAT(canonical_form(a), HasSubstr("parameters.precision.k = 5\n"));
  EXPECT_NE(config_hash(a), config_hash(b));
  EXPECT_NE(config_hash(a), config_hash(none));
  EXPECT_THAT(canonical_form(none), ::testing::Not(HasSubstr("parameters.")));
}

TEST_F(MetricParametersTest, UnknownParameterIsNamedWithASuggestion) {
  const std::string e = error_of(with_parameters("precision = { kk = 5 }\n"));
  EXPECT_THAT(e, StartsWith(job_file().string() + ":25:"));
  EXPECT_THAT(e, HasSubstr("comparisons[0].parameters.precision.kk: unknown key"));
  EXPECT_THAT(e, HasSubstr("\"k\""));
}

TEST_F(MetricParametersTest, WrongTypeAndOutOfRangeAreRefused) {
  EXPECT_THAT(error_of(with_parameters("precision = { k = \"five\" }\n")),
              HasSubstr(":25:19: comparisons[0].parameters.precision.k: expected an integer, got "
                        "string"));
  EXPECT_THAT(error_of(with_parameters("precision = { k = 0 }\n")),
              HasSubstr("expected an integer in 1..1000"));
  EXPECT_THAT(error_of(with_parameters("kid = { full = 1 }\n")),
              HasSubstr("comparisons[0].parameters.kid.full: expected a boolean"));
  EXPECT_THAT(error_of(with_parameters("kid = { gamma = -1.0 }\n")),
              HasSubstr("comparisons[0].parameters.kid.gamma: expected a number >= 0"));
}

TEST_F(MetricParametersTest, ParametersOfAMetricNotComparedAreRefused) {
  const std::string e = error_of(
      minimal_plus("metrics = [\"fd\"]\n[comparisons.parameters]\nkid = { subsets = 5 }\n"));
  EXPECT_THAT(e, StartsWith(job_file().string() + ":25:"));
  EXPECT_THAT(e, HasSubstr("metric \"kid\" is not among this comparison's metrics"));
}

TEST_F(MetricParametersTest, AMetricWithoutParametersTakesNone) {
  EXPECT_THAT(error_of(with_parameters("fd = { eps = 1 }\n")),
              HasSubstr("comparisons[0].parameters.fd.eps: unknown key"));
}

TEST(ParameterAssignment, ParsesTypedValues) {
  const auto specs = test_specs();
  auto [metric, named] = parse_parameter_assignment("kid.subsets=50", specs);
  EXPECT_EQ(metric, "kid");
  EXPECT_EQ(named.first, "subsets");
  EXPECT_EQ(std::get<std::int64_t>(named.second), 50);
  EXPECT_EQ(std::get<bool>(parse_parameter_assignment("kid.full=true", specs).second.second), true);
  EXPECT_EQ(std::get<double>(parse_parameter_assignment("fd.confidence=0.9", specs).second.second),
            0.9);
}

TEST(ParameterAssignment, ErrorsNameTheFlagAndWhatWasExpected) {
  const auto specs = test_specs();
  EXPECT_THROW_WITH(parse_parameter_assignment("kid", specs), UsageError,
                    "--param 'kid': expected metric.name=value (for example kid.subsets=50)");
  EXPECT_THROW_WITH(parse_parameter_assignment("kd.subsets=5", specs), UsageError,
                    "--param 'kd.subsets=5': no metric 'kd' has parameters (did you mean "
                    "\"kid\"?)");
  EXPECT_THROW_WITH(parse_parameter_assignment("kid.subset=5", specs), UsageError,
                    "--param 'kid.subset=5': kid has no parameter 'subset' (did you mean "
                    "\"subsets\"?)");
  EXPECT_THROW_WITH(parse_parameter_assignment("kid.subsets=0", specs), UsageError,
                    "--param 'kid.subsets=0': kid.subsets expects an integer in 1..1000000, got "
                    "'0'");
  EXPECT_THROW_WITH(parse_parameter_assignment("kid.subsets=5x", specs), UsageError,
                    "--param 'kid.subsets=5x': kid.subsets expects an integer in 1..1000000, got "
                    "'5x'");
  EXPECT_THROW_WITH(parse_parameter_assignment("kid.full=yes", specs), UsageError,
                    "--param 'kid.full=yes': kid.full expects true or false, got 'yes'");
  EXPECT_THROW_WITH(parse_parameter_assignment("fd.confidence=1.5", specs), UsageError,
                    "--param 'fd.confidence=1.5': fd.confidence expects a number in [0.5, 0.999], "
                    "got '1.5'");
  EXPECT_THROW_WITH(parse_parameter_assignment("kid.gamma=nan", specs), UsageError,
                    "--param 'kid.gamma=nan': kid.gamma expects a number >= 0, got 'nan'");
}

}  // namespace
}  // namespace gensweep::config::testing
