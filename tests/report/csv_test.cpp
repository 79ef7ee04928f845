#include "gensweep/report/csv.h"

#include "gensweep/report/both_ways_tables.h"
#include "gensweep/report/markdown.h"
#include "gensweep/report/write_all.h"
#include "sample_results.h"
#include "test_util.h"

#include <limits>

namespace gensweep::report {
namespace {

TEST(ReportCsv, FieldQuotingFollowsRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("with space"), "with space");  // spaces are data, no quotes needed
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rlf"), "\"cr\rlf\"");
  EXPECT_EQ(csv_field("célèbA"), "célèbA");
}

TEST(ReportCsv, SampleExactText) {
  // Diagnostics columns: the union of keys in order of first appearance (nlohmann sorts each
  // entry's keys); arrays as compact JSON.
  EXPECT_EQ(to_csv(testing::sample_results()),
            "reference,evaluated,backbone,metric,value,dim,min_eigenvalue,n_evaluated,n_reference,"
            "notes,route,regularization,subsets,std\n"
            "clean,blur2,inception,fd,12.345649,2048,-1.5e-12,100,99,[],symmetric-eigen,,,\n"
            "clean,blur2,clip,fd,0.5,,,100,99,,symmetric-eigen,,,\n"
            "clean,noise,clip,fd,1,,,,,\"[\"\"eigensolver did not converge; retried with "
            "eps=1e-06\"\"]\",symmetric-eigen,1e-06,,\n"
            "clean,blur2,inception,kid,0.00123456789,,,,,,,,100,\n"
            "clean,noise,inception,kid,nan,,,,,,,,100,inf\n");
}

TEST(ReportCsv, AwkwardIdsAreQuoted) {
  RunResults r;
  r.entries.push_back({"ffhq, 1024", "model \"A\"", "clip\nvit", "fd", 0.1, {}});
  EXPECT_EQ(to_csv(r),
            "reference,evaluated,backbone,metric,value\n"
            "\"ffhq, 1024\",\"model \"\"A\"\"\",\"clip\nvit\",fd,0.1\n");
}

TEST(ReportCsv, DiagnosticsCells) {
  RunResults r;
  r.entries.push_back(
      {"a",
       "b",
       "c",
       "fd",
       -std::numeric_limits<double>::infinity(),
       {{"ok", true}, {"note", nullptr}, {"ranks", {0, 1}}, {"value", "clash"}, {"text", "x, y"}}});
  r.entries.push_back({"a", "b", "c", "kid", std::numeric_limits<double>::max(), {}});
  EXPECT_EQ(to_csv(r),
            "reference,evaluated,backbone,metric,value,note,ok,ranks,text,diagnostics.value\n"
            "a,b,c,fd,-inf,,true,\"[0,1]\",\"x, y\",clash\n"
            "a,b,c,kid,1.7976931348623157e+308,,,,,\n");
}

TEST(ReportCsv, NoEntriesIsJustTheHeader) {
  EXPECT_EQ(to_csv(RunResults{}), "reference,evaluated,backbone,metric,value\n");
}

TEST(ReportCsv, WriteCsv) {
  testing::TempDir dir;
  write_csv(testing::sample_results(), dir / "results.csv");
  EXPECT_EQ(testing::read_text(dir / "results.csv"), to_csv(testing::sample_results()));
}

// The both-ways tables: one CSV record per cell, the overlaps one per backbone pair, a Markdown
// section per table; none of it for runs without a both-ways comparison.
TEST(ReportBothWays, CsvRecordsAndMarkdownSection) {
  const RunResults r = testing::sample_results_with_both_ways();
  const std::string csv = both_ways_csv(r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "pair_reference,pair_evaluated,backbone,direction,reference,evaluated,leave_one_out,"
            "metric,value,by_definition");
  EXPECT_NE(csv.find("\nclean,blur2,clip,forward,clean,blur2,false,rarity,1.5,false\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nclean,blur2,clip,backward,blur2,clean,false,kid,,false\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nclean,blur2,clip,self-reference,clean,clean,true,fd,0,true\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 * 3);
  EXPECT_EQ(rarest_overlap_csv(r),
            "reference,evaluated,direction,backbone_a,backbone_b,k,jaccard\n"
            "clean,blur2,forward,clip,inception,10,0.25\n"
            "clean,blur2,self-evaluated,clip,inception,10,1\n");
  const std::string md = markdown_report(r);
  EXPECT_NE(md.find("## Both ways: clean and blur2, clip"), std::string::npos) << md;
  EXPECT_NE(md.find("| self-evaluated (blur2 vs blur2, leave-one-out) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| clean | blur2 | forward | clip / inception | 10 | 0.2500 |"),
            std::string::npos)
      << md;

  const RunResults plain = testing::sample_results();
  EXPECT_EQ(both_ways_csv(plain), "");
  EXPECT_EQ(rarest_overlap_csv(plain), "");
  EXPECT_EQ(markdown_report(plain).find("Both ways"), std::string::npos);
  testing::TempDir dir;
  write_all(plain, dir.path());
  EXPECT_FALSE(std::filesystem::exists(dir / kBothWaysCsvFileName));
  write_all(r, dir.path());
  EXPECT_EQ(testing::read_text(dir / kBothWaysCsvFileName), csv);
}

}  // namespace
}  // namespace gensweep::report
