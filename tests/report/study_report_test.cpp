// A study's tables in every format: results.json round trip (non-finite numbers included), the
// two CSV files, Markdown, LaTeX, the figures; and the plain tables leave the study's cells out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "gensweep/report/figures.h"
#include "gensweep/report/html.h"
#include "gensweep/report/json.h"
#include "gensweep/report/latex.h"
#include "gensweep/report/markdown.h"
#include "gensweep/report/study_figures.h"
#include "gensweep/report/study_tables.h"
#include "sample_results.h"

namespace gensweep::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StudyReport, JsonRoundTripKeepsEveryNumberIncludingNonFiniteOnes) {
  const RunResults original = testing::sample_results_with_study();
  const nlohmann::json doc = to_json(original);
  ASSERT_TRUE(doc.contains("studies"));
  const auto& study = doc["studies"][0];
  EXPECT_TRUE(study["values"][13]["value"].is_null());
  EXPECT_EQ(study["non_finite"]["/values/13/value"], "nan");
  EXPECT_EQ(study["non_finite"]["/agreements/0/kendall_tau/3"], "nan");
  EXPECT_EQ(study["normalised_by"], (nlohmann::json{{"corruption", "frost"}, {"severity", 2}}));

  const RunResults back = results_from_json(nlohmann::json::parse(doc.dump()));
  ASSERT_EQ(back.studies.size(), 1u);
  const StudyResults& s = back.studies[0];
  const StudyResults& o = original.studies[0];
  EXPECT_TRUE(std::isnan(s.values[13].value));
  EXPECT_FALSE(s.values[13].normalised.has_value());
  EXPECT_TRUE(std::isnan(s.agreements[0].kendall_tau[3]));
  // Everything else exactly.
  StudyResults s_finite = s, o_finite = o;
  s_finite.values[13].value = o_finite.values[13].value = 0;
  s_finite.agreements[0].kendall_tau[3] = o_finite.agreements[0].kendall_tau[3] = 0;
  s_finite.agreements[0].spearman_rho[3] = o_finite.agreements[0].spearman_rho[3] = 0;
  EXPECT_EQ(s_finite, o_finite);
}

TEST(StudyReport, RunsWithoutStudiesWriteNoStudiesKey) {
  EXPECT_FALSE(to_json(testing::sample_results()).contains("studies"));
}

TEST(StudyReport, CsvFilesHoldEveryValueAndEveryPairOfSpaces) {
  const RunResults r = testing::sample_results_with_study();
  const std::string values = studies_csv(r.studies);
  EXPECT_EQ(values.substr(0, values.find('\n', values.find('\n') + 1) + 1),
            "study,factor,level,backbone,metric,dataset,value,draws,std,normalised,rank\n"
            "sweep,none,0,clip,fd,blur2,0.5,1,,0.125,\n");
  EXPECT_THAT(values, HasSubstr("sweep,fog,1,clip,fd,sweep.fog.s1,1,1,,0.25,3\n"));
  EXPECT_THAT(values, HasSubstr("sweep,snow,2,inception,fd,sweep.snow.s2,nan,1,,,\n"));
  EXPECT_EQ(std::count(values.begin(), values.end(), '\n'), 1 + 14);
  EXPECT_EQ(study_agreement_csv(r.studies),
            "study,metric,backbone_a,backbone_b,kendall_tau,spearman_rho\n"
            "sweep,fd,clip,clip,1,1\n"
            "sweep,fd,clip,inception,-1,-1\n"
            "sweep,fd,inception,clip,-1,-1\n"
            "sweep,fd,inception,inception,nan,nan\n");
  EXPECT_EQ(studies_csv({}), "");
}

TEST(StudyReport, GridsArrangeValuesByFactorAndLevel) {
  const auto grids = study_grids(testing::sample_results_with_study().studies[0]);
  ASSERT_EQ(grids.size(), 2u);
  const StudyGrid& clip = grids[0];
  EXPECT_EQ(clip.backbone, "clip");
  EXPECT_EQ(clip.base, 0.5);
  EXPECT_EQ(clip.values, (std::vector<double>{1, 3, 2, 4, 5, 7}));
  EXPECT_EQ(clip.ranks, (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(clip.means, (std::vector<double>{2, 3, 6}));
  EXPECT_EQ(clip.normalised_divisor(), 4.0);
  const StudyGrid& inception = grids[1];
  EXPECT_TRUE(std::isnan(inception.values[5]));
  EXPECT_EQ(inception.ranks, (std::vector<int>{1, 2, 0}));  // snow unranked
}

TEST(StudyReport, PlainTablesLeaveTheStudysCellsToTheStudyTables) {
  RunResults r = testing::sample_results_with_study();
  MetricEntry cell;
  cell.reference = "clean";
  cell.evaluated = "sweep.fog.s1";
  cell.backbone = "clip";
  cell.metric = "fd";
  cell.value = 1;
  r.entries.push_back(cell);
  for (const auto& table : build_tables(r))
    EXPECT_THAT(table.rows, Not(::testing::Contains("sweep.fog.s1")));
  // The base stays: it is an ordinary evaluated set of the reference.
  EXPECT_THAT(build_tables(r)[0].rows, ::testing::Contains("blur2"));
}

TEST(StudyReport, MarkdownAndLatexShowTheGridRankingsAndAgreement) {
  TableOptions options;
  options.better = {{"fd", Better::kLower}};
  const RunResults r = testing::sample_results_with_study();
  const std::string md = markdown_report(r, options);
  EXPECT_THAT(md, HasSubstr("## study sweep: fd of blur2 by corruption and severity, reference: "
                            "clean\n"));
  EXPECT_THAT(md, HasSubstr("| fog        |     1.0000 |     3.0000 | 2.0000 |    3 |\n"));
  // The normalised table divides by frost at severity 2 (clip: 4); its mean too.
  EXPECT_THAT(md, HasSubstr("Divided by frost at severity 2:"));
  EXPECT_THAT(md, HasSubstr("| snow       |      1.250 |      1.750 | 1.500 |    1 |\n"));
  EXPECT_THAT(md, HasSubstr("|    1 | snow  | fog       |\n"));
  EXPECT_THAT(md,
              HasSubstr("| clip                         |   1.000 / 1.000 | -1.000 / -1.000 |"));
  const std::string tex = latex_document(r, options);
  EXPECT_THAT(tex, HasSubstr("snow       & 5.0000 & 7.0000 & \\textbf{6.0000} &    1 \\\\\n"));
  EXPECT_THAT(tex, HasSubstr("Kendall's $\\tau_b$ / Spearman's $\\rho$ (study sweep)"));
}

TEST(StudyReport, FiguresDrawEachFactorFromTheBaseAndTheAgreementMatrix) {
  TableOptions options;
  options.better = {{"fd", Better::kLower}};
  const RunResults r = testing::sample_results_with_study();
  const auto figures = study_figures(r.studies[0], options);
  ASSERT_EQ(figures.size(), 2u);
  EXPECT_EQ(figures[0].stem, "study_sweep_fd_by_severity");
  ASSERT_EQ(figures[0].figure.panels.size(), 2u);
  const plot::Series& fog = figures[0].figure.panels[0].series[0];
  EXPECT_EQ(fog.label, "fog");
  EXPECT_EQ(fog.x, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(fog.y, (std::vector<double>{0.5, 1, 3}));
  EXPECT_EQ(figures[1].stem, "study_sweep_fd_agreement");
  ASSERT_TRUE(figures[1].figure.heat_map.has_value());
  EXPECT_EQ(figures[1].figure.heat_map->cell_text[1], "-1.00 / -1.00");
  // build_figures includes them, and the plain figures do not draw the study's cells.
  bool found = false;
  for (const auto& f : build_figures(r, {}, options))
    found = found || f.stem == "study_sweep_fd_agreement";
  EXPECT_TRUE(found);
  // Rendering works in every format.
  const plot::RenderedFigure rendered = plot::render(figures[0].figure);
  EXPECT_FALSE(rendered.png.empty());
}

TEST(StudyReport, HtmlPageHasTheStudySection) {
  TableOptions options;
  options.better = {{"fd", Better::kLower}};
  const std::string html = html_report(testing::sample_results_with_study(), options, {}, {});
  EXPECT_THAT(html, HasSubstr("<h2 id=\"studies\">Studies</h2>"));
  EXPECT_THAT(html, HasSubstr("<h4>fd in clip (blur2 uncorrupted: 0.5000)</h4>"));
  EXPECT_THAT(html, HasSubstr("<tr><td>snow</td><td class=\"number\">5.0000</td><td "
                              "class=\"number\">7.0000</td><td class=\"number\">6.0000</td><td "
                              "class=\"number\">1</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"number\">-1.000 / -1.000</td>"));
  EXPECT_THAT(html_report(testing::sample_results(), options, {}, {}),
              Not(HasSubstr("id=\"studies\"")));
}

TEST(StudyReport, AgreementColoursSpanTheRankScale) {
  EXPECT_EQ(agreement_colour(1), plot::rank_colour(0, kAgreementColourSteps));
  EXPECT_EQ(agreement_colour(-1),
            plot::rank_colour(kAgreementColourSteps - 1, kAgreementColourSteps));
  EXPECT_EQ(agreement_colour(0), plot::rank_colour(10, kAgreementColourSteps));
  EXPECT_EQ(agreement_colour(std::nan("")), plot::kUnrankedColour);
}

TEST(StudyReport, SeriesBeyondEightColoursAreDashedThenDotted) {
  EXPECT_EQ(plot::series_dash(0), 0);
  EXPECT_EQ(plot::series_dash(7), 0);
  EXPECT_EQ(plot::series_dash(8), 1);
  EXPECT_EQ(plot::series_dash(16), 2);
  EXPECT_NE(plot::series_colour(3), plot::series_colour(4));
}

}  // namespace
}  // namespace gensweep::report
