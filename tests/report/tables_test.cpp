#include "gensweep/report/tables.h"
#include "sample_results.h"
#include "test_util.h"

#include <limits>

namespace gensweep::report {
namespace {

TEST(ReportTables, GridFollowsJobOrder) {
  RunResults r = testing::sample_results();
  auto tables = build_tables(r);
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].metric, "fd");
  EXPECT_EQ(tables[0].rows, (std::vector<std::string>{"blur2", "noise"}));
  EXPECT_EQ(tables[0].columns, (std::vector<std::string>{"inception", "clip"}));
  EXPECT_EQ(tables[0].at(0, 0), &r.entries[0]);
  EXPECT_EQ(tables[0].at(0, 1), &r.entries[1]);
  EXPECT_EQ(tables[0].at(1, 0), nullptr);
  EXPECT_EQ(tables[0].at(1, 1), &r.entries[2]);
  EXPECT_EQ(tables[1].metric, "kid");
  EXPECT_EQ(tables[1].columns, (std::vector<std::string>{"inception"}));
}

TEST(ReportTables, EntryOrderDoesNotChangeTheGrid) {
  RunResults r = testing::sample_results();
  std::reverse(r.entries.begin(), r.entries.end());
  auto tables = build_tables(r);
  ASSERT_EQ(tables.size(), 2u);
  // Metric order follows the entries, rows and columns the job.
  EXPECT_EQ(tables[0].metric, "kid");
  EXPECT_EQ(tables[1].rows, (std::vector<std::string>{"blur2", "noise"}));
  EXPECT_EQ(tables[1].columns, (std::vector<std::string>{"inception", "clip"}));
}

TEST(ReportTables, ReferencesInJobOrderAndUnlistedIdsLast) {
  RunResults r;
  r.datasets = {{.id = "ffhq"}, {.id = "celeba"}, {.id = "m1"}};
  r.backbones = {{.id = "b1"}, {.id = "b2"}};
  r.entries = {{"celeba", "m1", "b2", "fd", 1},
               {"ffhq", "unlisted", "b1", "fd", 2},
               {"ffhq", "m1", "b9", "fd", 3},
               {"ffhq", "m1", "b1", "fd", 4}};
  auto tables = build_tables(r);
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].reference, "ffhq");
  EXPECT_EQ(tables[0].rows, (std::vector<std::string>{"m1", "unlisted"}));
  EXPECT_EQ(tables[0].columns, (std::vector<std::string>{"b1", "b9"}));
  EXPECT_EQ(tables[1].reference, "celeba");
}

TEST(ReportTables, FirstOfDuplicatesWins) {
  RunResults r;
  r.entries = {{"a", "b", "c", "fd", 1}, {"a", "b", "c", "fd", 2}};
  auto tables = build_tables(r);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].at(0, 0)->value, 1);
}

TEST(ReportTables, FindProblems) {
  RunResults r = testing::sample_results();
  EXPECT_TRUE(find_problems(r).empty());
  r.datasets.push_back(r.datasets[0]);
  r.entries.push_back(r.entries[0]);
  r.entries.push_back({"clean", "ghost", "vit", "fd", 1});
  r.stores.push_back({"ghost", "clip", "/s.h5"});
  EXPECT_EQ(find_problems(r),
            (std::vector<std::string>{
                "dataset 'clean' listed twice",
                "entry 5: fd of 'blur2' against 'clean' in 'inception' appears twice",
                "entry 6 (fd): dataset 'ghost' is not listed",
                "entry 6 (fd): backbone 'vit' is not listed",
                "store /s.h5: dataset 'ghost' is not listed",
            }));
}

TEST(ReportTables, FormatFixed) {
  EXPECT_EQ(format_fixed(12.345649, 4), "12.3456");
  EXPECT_EQ(format_fixed(12.34566, 4), "12.3457");
  EXPECT_EQ(format_fixed(12.34565, 4), "12.3456");  // the double is 12.3456499999...
  EXPECT_EQ(format_fixed(0.5, 4), "0.5000");
  EXPECT_EQ(format_fixed(-1e-9, 4), "0.0000");  // no "-0.0000"
  EXPECT_EQ(format_fixed(-0.0, 2), "0.00");
  EXPECT_EQ(format_fixed(-0.5, 2), "-0.50");
  EXPECT_EQ(format_fixed(3.7, 0), "4");
  EXPECT_EQ(format_fixed(std::numeric_limits<double>::quiet_NaN(), 4), "nan");
  EXPECT_EQ(format_fixed(-std::numeric_limits<double>::infinity(), 4), "-inf");
}

TEST(ReportTables, DecimalsPerMetric) {
  TableOptions options;
  EXPECT_EQ(options.decimals_for("fd"), 4);
  EXPECT_EQ(options.decimals_for("kid"), 6);
  options.decimals["fd"] = 2;
  options.default_decimals = 3;
  EXPECT_EQ(options.decimals_for("fd"), 2);
  EXPECT_EQ(options.decimals_for("precision"), 3);
}

TEST(ReportTables, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("—"), 1u);
  EXPECT_EQ(display_width("célèbA"), 6u);
  EXPECT_EQ(display_width(""), 0u);
}

}  // namespace
}  // namespace gensweep::report
