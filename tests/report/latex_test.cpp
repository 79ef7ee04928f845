#include "gensweep/report/latex.h"

#include <cstdlib>
#include <filesystem>
#include <limits>

#include "gensweep/core/error.h"
#include "sample_results.h"
#include "test_util.h"

namespace gensweep::report {
namespace {

TEST(ReportLatex, SampleFdTable) {
  EXPECT_EQ(latex_table(testing::sample_results(), "clean", "fd"),
            "% gensweep: fd, reference clean\n"
            "% dagger: noise, clip: eps=1e-06 added to the covariance diagonals\n"
            "\\begin{tabular}{lrr}\n"
            "\\toprule\n"
            "evaluated & inception &             clip \\\\\n"
            "\\midrule\n"
            "blur2     &   12.3456 &           0.5000 \\\\\n"
            "noise     &       --- & 1.0000$^\\dagger$ \\\\\n"
            "\\bottomrule\n"
            "\\end{tabular}\n");
}

TEST(ReportLatex, NonFiniteAndPrecision) {
  EXPECT_EQ(latex_table(testing::sample_results(), "clean", "kid"),
            "% gensweep: kid, reference clean\n"
            "\\begin{tabular}{lr}\n"
            "\\toprule\n"
            "evaluated & inception \\\\\n"
            "\\midrule\n"
            "blur2     &  0.001235 \\\\\n"
            "noise     &       NaN \\\\\n"
            "\\bottomrule\n"
            "\\end{tabular}\n");
}

TEST(ReportLatex, EscapesSpecialCharacters) {
  EXPECT_EQ(latex_escape("a_b & 50% $x$ #1 {y} ~z^ \\"),
            "a\\_b \\& 50\\% \\$x\\$ \\#1 \\{y\\} \\textasciitilde{}z\\textasciicircum{} "
            "\\textbackslash{}");
  RunResults r;
  r.entries = {{"ref", "model_a", "clip_vit", "fd", 1.0}};
  std::string text = latex_table(r, "ref", "fd");
  EXPECT_NE(text.find("evaluated & clip\\_vit \\\\"), std::string::npos) << text;
  EXPECT_NE(text.find("model\\_a  &    1.0000 \\\\"), std::string::npos) << text;
}

TEST(ReportLatex, UnknownPairNamesWhatExists) {
  EXPECT_THROW_WITH(latex_table(testing::sample_results(), "clean", "precision"), DataError,
                    "no results for metric 'precision' with reference 'clean' (available: "
                    "clean/fd, clean/kid)");
  EXPECT_THROW_WITH(latex_table(RunResults{}, "a", "fd"), DataError, "(available: none)");
}

TableOptions paper_options() {
  TableOptions o;
  o.better = {{"fd", Better::kLower}, {"precision", Better::kHigher}, {"rarity", Better::kNeither}};
  o.show_spread = true;
  return o;
}

TEST(ReportLatex, BestValueOfEachColumnIsBoldTiesIncluded) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  RunResults r;
  r.entries = {{"ref", "a", "x", "fd", 3.0},        {"ref", "b", "x", "fd", 1.0},
               {"ref", "c", "x", "fd", nan},        {"ref", "a", "y", "fd", 2.0},
               {"ref", "b", "y", "fd", 5.0},        {"ref", "c", "y", "fd", 2.0},
               {"ref", "a", "x", "precision", 0.5}, {"ref", "b", "x", "precision", 0.75},
               {"ref", "a", "x", "rarity", 9.0},    {"ref", "b", "x", "rarity", 1.0}};
  // Lower is better for FD: column x's best is b (NaN is never best), column y's a and c (a tie).
  EXPECT_EQ(latex_table(r, "ref", "fd", paper_options()),
            "% gensweep: fd, reference ref\n"
            "\\begin{tabular}{lrr}\n"
            "\\toprule\n"
            "evaluated &               x &               y \\\\\n"
            "\\midrule\n"
            "a         &          3.0000 & \\textbf{2.0000} \\\\\n"
            "b         & \\textbf{1.0000} &          5.0000 \\\\\n"
            "c         &             NaN & \\textbf{2.0000} \\\\\n"
            "\\bottomrule\n"
            "\\end{tabular}\n");
  // Higher is better for precision; rarity declares no direction, so nothing is bold.
  EXPECT_NE(latex_table(r, "ref", "precision", paper_options()).find("\\textbf{0.7500}"),
            std::string::npos);
  EXPECT_EQ(latex_table(r, "ref", "rarity", paper_options()).find("textbf"), std::string::npos);
  // Without directions (the default), the table is as before.
  EXPECT_EQ(latex_table(r, "ref", "fd").find("textbf"), std::string::npos);
}

TEST(ReportLatex, SpreadStandsBesideTheValue) {
  RunResults r;
  r.entries = {{"ref", "a", "x", "kid", 0.001, {{"std", 0.0002}}},
               {"ref", "a", "x", "fd", 12.5, {{"ci_low", 11.25}, {"ci_high", 13.75}}},
               {"ref", "b", "x", "fd", 14.0, nlohmann::json::object()}};
  EXPECT_NE(latex_table(r, "ref", "kid", paper_options()).find("0.001000 $\\pm$ 0.000200"),
            std::string::npos);
  // One estimate on all pairs: no spread to show.
  r.entries[0].diagnostics = {{"std", 0.0}, {"full", true}};
  EXPECT_EQ(latex_table(r, "ref", "kid", paper_options()).find("pm"), std::string::npos);
  const std::string fd = latex_table(r, "ref", "fd", paper_options());
  EXPECT_NE(fd.find("\\textbf{12.5000 [11.2500, 13.7500]}"), std::string::npos) << fd;
  // An entry without a spread shows its value alone (and is not the best).
  EXPECT_NE(fd.find(" 14.0000 \\\\"), std::string::npos) << fd;
  EXPECT_EQ(fd.find("textbf{14"), std::string::npos) << fd;
}

TEST(ReportLatex, DocumentHasOneCaptionedTablePerMetricAndReference) {
  const std::string doc = latex_document(testing::sample_results(), paper_options());
  EXPECT_NE(doc.find("\\caption{fd (lower is better) against clean}"), std::string::npos) << doc;
  EXPECT_NE(doc.find("\\caption{kid against clean}"), std::string::npos) << doc;
  std::size_t tables = 0;
  for (auto at = doc.find("\\begin{table}"); at != std::string::npos;
       at = doc.find("\\begin{table}", at + 1))
    ++tables;
  EXPECT_EQ(tables, 2u);
}

// results.tex compiles with pdflatex (booktabs) where pdflatex is installed (scripts/setup.sh
// installs it for the tests).
TEST(ReportLatex, DocumentCompilesWithPdflatex) {
  if (std::system("command -v pdflatex >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "pdflatex is not installed";
  testing::TempDir dir("gensweep-latex");
  RunResults r = testing::sample_results();
  r.entries.push_back({"clean", "odd_name&50%", "clip", "fd", 0.25, {{"std", 0.01}}});
  testing::write_text(dir.path() / "results.tex", latex_document(r, paper_options()));
  testing::write_text(dir.path() / "paper.tex",
                      "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
                      "\\input{results.tex}\n\\end{document}\n");
  const std::string command = "cd '" + dir.path().string() +
                              "' && pdflatex -interaction=nonstopmode -halt-on-error paper.tex "
                              ">pdflatex.log 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << testing::read_text(dir.path() / "pdflatex.log");
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "paper.pdf"));
  EXPECT_GT(std::filesystem::file_size(dir.path() / "paper.pdf"), 1000u);
}

}  // namespace
}  // namespace gensweep::report
