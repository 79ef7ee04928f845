// Private helpers of the config module: edit distance and suggestions, TOML literals.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gensweep/config/toml_text.h"
#include "suggest.h"

namespace gensweep::config::detail {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("batch_size", "batch_size"), 0u);
  EXPECT_EQ(edit_distance("batch_siz", "batch_size"), 1u);    // insertion
  EXPECT_EQ(edit_distance("batch_sizee", "batch_size"), 1u);  // deletion
  EXPECT_EQ(edit_distance("batch_sise", "batch_size"), 1u);   // substitution
  EXPECT_EQ(edit_distance("batch_szie", "batch_size"), 1u);   // transposition
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // optimal string alignment, not full Damerau
}

TEST(ClosestTest, WithinTwoEditsFirstOneWinsTies) {
  const std::vector<std::string> keys = {"size", "seed", "dim"};
  EXPECT_EQ(closest("sise", keys), "size");
  EXPECT_EQ(closest("sed", keys), "seed");
  EXPECT_EQ(closest("sie", keys), "size");  // size is 1 away, seed 2: the nearest wins
  EXPECT_EQ(closest("zzzz", keys), std::nullopt);
  EXPECT_EQ(closest("x", std::vector<std::string>{}), std::nullopt);
  // Ties go to the earlier candidate.
  EXPECT_EQ(closest("ab", std::vector<std::string>{"aa", "bb"}), "aa");
}

TEST(SuggestionSuffixTest, SuggestsOrLists) {
  const std::vector<std::string> ids = {"real", "eval"};
  EXPECT_EQ(suggestion_suffix("evl", ids, "datasets"), " (did you mean \"eval\"?)");
  EXPECT_EQ(suggestion_suffix("model", ids, "datasets"), " (known datasets: real, eval)");
  EXPECT_EQ(suggestion_suffix("model", std::vector<std::string>{}, "datasets"),
            " (known datasets: none)");
}

TEST(FormatDoubleTest, ShortestRoundTripAlwaysAFloat) {
  EXPECT_EQ(format_double(2.0), "2.0");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(-1.5), "-1.5");
  EXPECT_EQ(format_double(0.48145466), "0.48145466");
  EXPECT_EQ(format_double(1e20), "1e+20");
  EXPECT_EQ(format_double(1e-7), "1e-07");
  EXPECT_EQ(std::stod(format_double(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(TomlQuoteTest, EscapesWhatTomlNeeds) {
  EXPECT_EQ(toml_quote("plain"), "\"plain\"");
  EXPECT_EQ(toml_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(toml_quote("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(toml_quote(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(toml_quote("\x1f\x7f"), "\"\\u001F\\u007F\"");
  EXPECT_EQ(toml_quote("Fréchet"), "\"Fréchet\"");  // UTF-8 passes through
}

}  // namespace
}  // namespace gensweep::config::detail
