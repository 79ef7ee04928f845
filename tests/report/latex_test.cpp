#include "gensweep/report/latex.h"
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

}  // namespace
}  // namespace gensweep::report
