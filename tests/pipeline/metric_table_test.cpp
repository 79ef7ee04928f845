// The metric table and its typed groups: names unique and valid, parameter specs generated from
// the typed structs (checked against values written out by hand), shared parameters enforced, and
// group results crossing ranks through the archive with their exact bits.
#include "gensweep/pipeline/metric_table.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "group_result_codec.h"
#include "test_util.h"

namespace gensweep::pipeline {
namespace {

TEST(MetricTable, GroupAndMetricNamesAreUniqueAndValid) {
  const std::regex identifier("[a-z][a-z0-9_]*");
  std::set<std::string> groups, metrics;
  for (const MetricGroup* g : metric_groups()) {
    EXPECT_TRUE(std::regex_match(g->name(), identifier)) << g->name();
    EXPECT_TRUE(groups.insert(g->name()).second) << "group " << g->name() << " twice";
    EXPECT_FALSE(g->members().empty()) << g->name();
    for (const auto& m : g->members()) {
      EXPECT_TRUE(std::regex_match(m.name, identifier)) << m.name;
      EXPECT_TRUE(metrics.insert(m.name).second) << "metric " << m.name << " twice";
      EXPECT_NE(std::string(m.description), "") << m.name;
      // The metric's group is the group that lists it.
      EXPECT_EQ(find_metric(m.name).group, g) << m.name;
    }
    EXPECT_EQ(&find_group(g->name()), g);
  }
  EXPECT_EQ(metrics.size(), metric_names().size());
  EXPECT_EQ(metric_table().size(), metric_names().size());
  EXPECT_THROW_WITH(find_metric("fid"), UsageError, "unknown metric 'fid' (known: fd, kid");
  EXPECT_THROW(find_group("nope"), InternalError);
}

TEST(MetricTable, ParameterSpecsAreUniqueTypedAndWithinTheirBounds) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& spec : metric_parameter_specs()) {
    EXPECT_TRUE(seen.insert({spec.metric, spec.name}).second) << spec.metric << "." << spec.name;
    EXPECT_NO_THROW(find_metric(spec.metric)) << spec.metric;
    EXPECT_FALSE(spec.description.empty()) << spec.metric << "." << spec.name;
    switch (spec.type) {
      case config::ParameterType::kInteger: {
        const auto* v = std::get_if<std::int64_t>(&spec.default_value);
        ASSERT_NE(v, nullptr) << spec.metric << "." << spec.name;
        EXPECT_GE(static_cast<double>(*v), spec.min) << spec.metric << "." << spec.name;
        EXPECT_LE(static_cast<double>(*v), spec.max) << spec.metric << "." << spec.name;
        break;
      }
      case config::ParameterType::kNumber: {
        const auto* v = std::get_if<double>(&spec.default_value);
        ASSERT_NE(v, nullptr) << spec.metric << "." << spec.name;
        EXPECT_GE(*v, spec.min) << spec.metric << "." << spec.name;
        EXPECT_LE(*v, spec.max) << spec.metric << "." << spec.name;
        break;
      }
      case config::ParameterType::kBoolean:
        EXPECT_NE(std::get_if<bool>(&spec.default_value), nullptr)
            << spec.metric << "." << spec.name;
        break;
    }
  }
}

TEST(MetricTable, ResolvedParametersAreTheJobsValuesOverTheDocumentedDefaults) {
  // Defaults as docs/METRICS.md documents them (KID: 100 subsets of 1000, cubic kernel).
  const MetricParameters kid("kid", {{"kid", {{"subsets", std::int64_t{7}}, {"gamma", 0.5}}}});
  const nlohmann::json expected = {{"subsets", 7},  {"subset_size", 1000}, {"seed", 0},
                                   {"full", false}, {"degree", 3},         {"gamma", 0.5},
                                   {"coef0", 1.0},  {"bootstrap", 0},      {"confidence", 0.95}};
  EXPECT_EQ(kid.to_json(), expected);
  EXPECT_TRUE(kid.is_set("subsets"));
  EXPECT_TRUE(kid.is_set("gamma"));
  EXPECT_FALSE(kid.is_set("subset_size"));
  // Canonical types: numbers stay doubles, integers integers (the row cache's keys hash them).
  EXPECT_TRUE(kid.to_json().at("coef0").is_number_float());
  EXPECT_TRUE(kid.to_json().at("degree").is_number_integer());
  const MetricParameters precision("precision", {});
  EXPECT_EQ(precision.to_json(), (nlohmann::json{{"k", 3}, {"inclusive", true}}));
  const MetricParameters density("density", {});
  EXPECT_EQ(density.to_json(), (nlohmann::json{{"k", 5}, {"inclusive", false}}));
}

TEST(MetricTable, MembersSharingAParameterStructMustAgree) {
  const auto& manifold = find_group("manifold").members();
  auto member = [&](const std::string& name) {
    for (const auto& m : manifold)
      if (name == m.name) return &m;
    return static_cast<const MetricMember*>(nullptr);
  };
  EXPECT_EQ(member("precision")->parameter_struct, member("recall")->parameter_struct);
  EXPECT_EQ(member("density")->parameter_struct, member("coverage")->parameter_struct);
  EXPECT_NE(member("precision")->parameter_struct, member("density")->parameter_struct);

  config::MetricParameterValues p = {{"precision", {{"k", std::int64_t{5}}}},
                                     {"recall", {{"k", std::int64_t{3}}}}};
  EXPECT_THROW_WITH(
      check_comparison_parameters({"precision", "recall"}, p, "job.toml:4:1"), UsageError,
      "job.toml:4:1: precision.k = 5 but recall.k = 3: these metrics come from one computation "
      "and share k; give them the same value");
  // Only one of them asked for: nothing to agree on.
  EXPECT_NO_THROW(check_comparison_parameters({"precision", "density"}, p, "x"));
  // A default against a value that equals it: they agree.
  config::MetricParameterValues same = {{"recall", {{"k", std::int64_t{3}}}}};
  EXPECT_NO_THROW(check_comparison_parameters({"precision", "recall"}, same, "x"));
  // The GMM members share all six fit parameters; the last one is checked too.
  config::MetricParameterValues tol = {{"ds", {{"tol", 0.5}}}};
  EXPECT_THROW_WITH(check_comparison_parameters({"giqa_gmm", "qs", "ds"}, tol, "x"), UsageError,
                    "x: giqa_gmm.tol = 0.001 but ds.tol = 0.5");
}

TEST(GroupResultCodec, RoundTripsValuesDiagnosticsAndArraysExactly) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  GroupResult r;
  r.values["fd"] = {0.1 + 0.2,
                    {{"route", "dsyevd"},
                     {"min_eigenvalue_sigma1", nan},
                     {"counts", {1, 2, 3}},
                     {"trace", -inf}}};
  r.values["kid"] = {-0.0, nlohmann::json::object()};
  r.per_sample.reals["rarity"] = {1.5, nan, 1e-310};
  r.per_sample.integers["nn_index"] = {0, -1, std::numeric_limits<std::int64_t>::max()};
  ByteWriter out;
  encode_group_result(r, out);
  encode_group_result(GroupResult{}, out);
  ByteReader in(out.bytes(), "test");
  const GroupResult back = decode_group_result(in);
  const GroupResult empty = decode_group_result(in);
  EXPECT_TRUE(in.at_end());
  EXPECT_TRUE(empty.values.empty());
  EXPECT_EQ(std::bit_cast<std::uint64_t>(back.values.at("fd").value),
            std::bit_cast<std::uint64_t>(0.1 + 0.2));
  EXPECT_TRUE(std::signbit(back.values.at("kid").value));
  const auto& d = back.values.at("fd").diagnostics;
  EXPECT_EQ(d.at("route"), "dsyevd");
  // Unlike JSON text, NaN and infinities survive the trip between ranks.
  EXPECT_TRUE(std::isnan(d.at("min_eigenvalue_sigma1").get<double>()));
  EXPECT_EQ(d.at("trace").get<double>(), -inf);
  EXPECT_EQ(d.at("counts"), nlohmann::json({1, 2, 3}));
  const auto& rarity = back.per_sample.reals.at("rarity");
  ASSERT_EQ(rarity.size(), 3u);
  EXPECT_EQ(rarity[0], 1.5);
  EXPECT_TRUE(std::isnan(rarity[1]));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(rarity[2]), std::bit_cast<std::uint64_t>(1e-310));
  EXPECT_EQ(back.per_sample.integers.at("nn_index"), r.per_sample.integers.at("nn_index"));
}

}  // namespace
}  // namespace gensweep::pipeline
