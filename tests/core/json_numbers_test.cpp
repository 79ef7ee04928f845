#include "gensweep/core/json_numbers.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gensweep {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename Json>
void check_nulls_and_notes() {
  Json doc = Json::object();
  doc["a/b"] = kInf;
  doc["x~y"] = Json::array({1.0, -kInf, kNaN});
  doc["fine"] = 2.5;
  doc["count"] = 3;
  Json notes = Json::object();
  json_numbers::null_non_finite(doc, "/diagnostics", notes);
  EXPECT_TRUE(doc["a/b"].is_null());
  EXPECT_EQ(doc["x~y"][0].template get<double>(), 1.0);
  EXPECT_TRUE(doc["x~y"][1].is_null());
  EXPECT_TRUE(doc["x~y"][2].is_null());
  EXPECT_EQ(doc["fine"].template get<double>(), 2.5);
  EXPECT_EQ(doc["count"].template get<int>(), 3);
  // RFC 6901 pointers: '/' -> "~1", '~' -> "~0".
  EXPECT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes["/diagnostics/a~1b"], "inf");
  EXPECT_EQ(notes["/diagnostics/x~0y/1"], "-inf");
  EXPECT_EQ(notes["/diagnostics/x~0y/2"], "nan");
  // The pointers address the nulled values of the document they were made for.
  for (auto it = notes.begin(); it != notes.end(); ++it) {
    const std::string pointer = it.key().substr(std::string("/diagnostics").size());
    EXPECT_TRUE(doc[typename Json::json_pointer(pointer)].is_null()) << pointer;
  }
}

TEST(JsonNumbers, NonFiniteBecomeNullWithTheirPointers) {
  check_nulls_and_notes<nlohmann::json>();
  check_nulls_and_notes<nlohmann::ordered_json>();
}

TEST(JsonNumbers, NamesRoundTrip) {
  for (double x : {kInf, -kInf, kNaN}) {
    const auto back = json_numbers::non_finite_value(json_numbers::non_finite_name(x));
    ASSERT_TRUE(back.has_value());
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(*back));
    } else {
      EXPECT_EQ(*back, x);
    }
  }
  EXPECT_FALSE(json_numbers::non_finite_value("Infinity").has_value());
  EXPECT_FALSE(json_numbers::non_finite_value("").has_value());
}

TEST(JsonNumbers, FiniteOrNull) {
  EXPECT_TRUE(json_numbers::finite_or_null<nlohmann::json>(kNaN).is_null());
  EXPECT_EQ(json_numbers::finite_or_null<nlohmann::json>(-0.5).get<double>(), -0.5);
}

}  // namespace
}  // namespace gensweep
