// Figures, rankings, contact sheets and report.html from results and per-image scores whose
// expected outcome follows from their construction.
#include "gensweep/report/visual_outputs.h"

#include "gensweep/core/error.h"
#include "gensweep/io/decode.h"
#include "gensweep/report/figures.h"
#include "gensweep/report/html.h"
#include "gensweep/report/json.h"
#include "gensweep/report/write_all.h"
#include "page_checks.h"
#include "sample_results.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace gensweep::report {
namespace {

namespace fs = std::filesystem;

TableOptions lower_fd_options() {
  TableOptions options;
  options.better = {{"fd", Better::kLower},
                    {"kid", Better::kLower},
                    {"precision", Better::kHigher},
                    {"recall", Better::kHigher},
                    {"rarity", Better::kNeither}};
  return options;
}

SampleScores rarity_scores(const std::string& evaluated, std::vector<double> values) {
  SampleScores s;
  s.reference = "clean";
  s.evaluated = evaluated;
  s.backbone = "clip";
  s.score = "rarity";
  for (std::size_t i = 0; i < values.size(); ++i) {
    s.ids.push_back(fmt::format("img{:03}.png", i));
    s.rows.push_back(static_cast<std::int64_t>(i) * 2);  // every other image failed to decode
  }
  s.values = std::move(values);
  s.has_images = true;
  return s;
}

RunResults results_with_fractions() {
  RunResults r = testing::sample_results();
  for (const char* backbone : {"inception", "clip"}) {
    for (const char* evaluated : {"blur2", "noise"}) {
      r.entries.push_back({"clean", evaluated, backbone, "precision", 0.25, {}});
      r.entries.push_back({"clean", evaluated, backbone, "recall", 0.75, {}});
    }
  }
  return r;
}

TEST(ReportRankings, LargestScoreFirstTiesInRowOrderNanLast) {
  const SampleScores s = rarity_scores("blur2", {0.5, NAN, 2.0, 0.5, 0.0});
  const std::vector<RankedImage> ranked = rank_by_score(s);
  ASSERT_EQ(ranked.size(), 5u);
  EXPECT_EQ(ranked[0], (RankedImage{1, "img002.png", 4, 2.0}));
  EXPECT_EQ(ranked[1].id, "img000.png");  // equal scores keep their row order
  EXPECT_EQ(ranked[2].id, "img003.png");
  EXPECT_EQ(ranked[3].id, "img004.png");
  EXPECT_EQ(ranked[4].id, "img001.png");
  EXPECT_TRUE(std::isnan(ranked[4].score));
  EXPECT_EQ(rankings_csv(std::span(ranked).first(2)),
            "rank,id,row,score\n1,img002.png,4,2\n2,img000.png,0,0.5\n");
  EXPECT_EQ(scores_stem(s), "blur2__vs__clean__clip__rarity");
}

TEST(ReportContactSheets, RarestAreTheLargestScoresAndZerosAreNeverCommon) {
  const SampleScores s = rarity_scores("blur2", {3, 0, 7, 1, NAN, 5, 0, 2});
  const auto ranked = rank_by_score(s);
  const auto sheets = select_contact_sheets(s, ranked, 3);
  ASSERT_EQ(sheets.size(), 2u);
  EXPECT_EQ(sheets[0].stem, "blur2__vs__clean__clip__rarity_rarest");
  std::vector<double> rarest, common;
  for (const auto& image : sheets[0].images)
    rarest.push_back(image.score);
  for (const auto& image : sheets[1].images)
    common.push_back(image.score);
  EXPECT_EQ(rarest, (std::vector<double>{7, 5, 3}));
  EXPECT_EQ(common, (std::vector<double>{1, 2, 3}));  // zeros lie outside the manifold
  EXPECT_EQ(sheets[1].stem, "blur2__vs__clean__clip__rarity_most_common");
  // GIQA: best and worst, and a k larger than the set takes what there is.
  SampleScores giqa = s;
  giqa.score = "giqa_knn";
  const auto giqa_sheets = select_contact_sheets(giqa, rank_by_score(giqa), 100);
  EXPECT_EQ(giqa_sheets[0].stem, "blur2__vs__clean__clip__giqa_knn_best");
  EXPECT_EQ(giqa_sheets[0].images.size(), 7u);  // every finite score
  EXPECT_EQ(giqa_sheets[1].images.front().score, 0);
}

TEST(ReportContactSheets, GridHasRoomForKCellsInRankOrder) {
  for (std::size_t k : {1u, 2u, 5u, 16u, 17u}) {
    const SheetGeometry g = sheet_geometry(k);
    EXPECT_GE(static_cast<std::size_t>(g.columns * g.rows), k) << k;
    EXPECT_LT(static_cast<std::size_t>(g.columns * (g.rows - 1)), k) << k;  // no empty row
    EXPECT_LE(g.rows, g.columns) << k;
  }
  EXPECT_EQ(sheet_geometry(16).columns, 4);
  // Five solid images: each cell's centre shows its image's colour, row by row.
  std::vector<SheetImage> images;
  for (int i = 0; i < 5; ++i) {
    SheetImage image;
    image.caption = fmt::format("id{}", i);
    image.width = 32;
    image.height = 16;
    image.rgb.resize(32 * 16 * 3);
    for (std::size_t p = 0; p < image.rgb.size(); p += 3) {
      image.rgb[p] = static_cast<std::uint8_t>(40 * i);
      image.rgb[p + 1] = 200;
      image.rgb[p + 2] = static_cast<std::uint8_t>(255 - 40 * i);
    }
    images.push_back(image);
  }
  images.push_back({"broken", 0, 0, {}, "truncated PNG"});
  const std::string png = contact_sheet_png("six", images);
  const io::DecodeOutcome decoded =
      io::decode_image(std::span(reinterpret_cast<const std::uint8_t*>(png.data()), png.size()));
  ASSERT_TRUE(decoded.ok) << decoded.reason;
  const SheetGeometry g = sheet_geometry(6);
  ASSERT_EQ(g.columns, 3);
  ASSERT_EQ(g.rows, 2);
  EXPECT_EQ(decoded.image.width, g.width);
  EXPECT_EQ(decoded.image.height, g.height);
  for (int i = 0; i < 5; ++i) {
    const int x = i % g.columns * g.cell_width + kSheetPadding + kSheetImageSize / 2;
    const int y =
        kSheetTitleHeight + i / g.columns * g.cell_height + kSheetPadding + kSheetImageSize / 2;
    const std::uint8_t* pixel =
        &decoded.image.rgb[(static_cast<std::size_t>(y) * decoded.image.width + x) * 3];
    EXPECT_EQ(pixel[0], 40 * i) << i;
    EXPECT_EQ(pixel[1], 200) << i;
    EXPECT_EQ(pixel[2], 255 - 40 * i) << i;
  }
}

TEST(ReportFigures, StemsFollowTheResults) {
  const RunResults r = results_with_fractions();
  const std::vector<SampleScores> scores = {rarity_scores("blur2", {1, 2, 3}),
                                            rarity_scores("noise", {2, 3, 4})};
  std::vector<std::string> stems;
  for (const auto& f : build_figures(r, scores, lower_fd_options()))
    stems.push_back(f.stem);
  EXPECT_EQ(stems, (std::vector<std::string>{
                       "heatmap_fd__vs__clean", "heatmap_kid__vs__clean",
                       "heatmap_precision__vs__clean", "heatmap_recall__vs__clean",
                       "precision_recall__vs__clean", "distribution_rarity__vs__clean"}));
}

// Distribution curves of one panel share their bins, each encloses an area of 1, and rarity
// scores of 0 (outside the manifold) are left out.
TEST(ReportFigures, DistributionCurvesShareBinsAndIntegrateToOne) {
  const RunResults r = testing::sample_results();
  const std::vector<SampleScores> scores = {rarity_scores("blur2", {0, 1, 2, 3, 0}),
                                            rarity_scores("noise", {2, 3, 4, 5, 6, 7})};
  const auto figures = build_figures(r, scores, lower_fd_options());
  const auto it = std::find_if(figures.begin(), figures.end(), [](const NamedFigure& f) {
    return f.stem == "distribution_rarity__vs__clean";
  });
  ASSERT_NE(it, figures.end());
  ASSERT_EQ(it->figure.panels.size(), 1u);  // one feature space (clip)
  const auto& series = it->figure.panels[0].series;
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].x, series[1].x);
  EXPECT_EQ(series[0].x.front(), 1.0);  // the zeros are not binned: the bins start at 1
  EXPECT_EQ(series[0].x.back(), 7.0);
  for (const auto& curve : series) {
    double area = 0;  // the step outline: horizontal segments at each bin's density
    for (std::size_t i = 1; i < curve.x.size(); ++i)
      if (curve.y[i] == curve.y[i - 1]) area += (curve.x[i] - curve.x[i - 1]) * curve.y[i];
    EXPECT_NEAR(area, 1.0, 1e-12) << curve.label;
  }
  EXPECT_EQ(series[0].colour, plot::series_colour(0));  // job order: blur2 before noise
  EXPECT_EQ(series[1].colour, plot::series_colour(1));
}

// The both-ways figure: one panel per backbone of the pair, a curve per direction whose scores
// exist, on bins shared by the panel's curves, each direction in its own colour.
TEST(ReportFigures, BothWaysRarityCurvesShareBinsOnePerDirection) {
  const RunResults r = testing::sample_results_with_both_ways();
  auto scores_of = [](const std::string& reference, const std::string& evaluated,
                      std::vector<double> values) {
    SampleScores s = rarity_scores(evaluated, std::move(values));
    s.reference = reference;
    return s;
  };
  // forward (blur2 vs clean), backward (clean vs blur2), self-reference (clean vs clean); the
  // self-evaluated direction has no scores: three curves.
  const std::vector<SampleScores> scores = {scores_of("clean", "blur2", {1, 2, 0}),
                                            scores_of("blur2", "clean", {3, 4}),
                                            scores_of("clean", "clean", {0, 9, 5})};
  const auto figures = both_ways_rarity_figures(r, scores);
  ASSERT_EQ(figures.size(), 1u);
  EXPECT_EQ(figures[0].stem, "both_ways_rarity__clean__blur2");
  ASSERT_EQ(figures[0].figure.panels.size(), 1u);
  EXPECT_EQ(figures[0].figure.panels[0].title, "clip");
  const auto& series = figures[0].figure.panels[0].series;
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].label, "forward: blur2 vs clean");
  EXPECT_EQ(series[1].label, "backward: clean vs blur2");
  EXPECT_EQ(series[2].label, "self-reference: clean vs clean");
  for (std::size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(series[i].x, series[0].x);  // shared bins over every kept score: 1 .. 9
    EXPECT_EQ(series[i].colour, plot::series_colour(i));
  }
  EXPECT_EQ(series[0].x.front(), 1.0);
  EXPECT_EQ(series[0].x.back(), 9.0);
  // Also among every figure of the run, after the others.
  const auto all = build_figures(r, scores, lower_fd_options());
  EXPECT_EQ(all.back().stem, "both_ways_rarity__clean__blur2");
}

TEST(ReportFigures, HeatMapColoursRankWithinEachColumn) {
  const RunResults r = testing::sample_results();
  const std::vector<ResultTable> tables = build_tables(r);
  ASSERT_EQ(tables[0].metric, "fd");
  // fd in clip: blur2 0.5, noise 1.0. Lower is better: blur2 green, noise red.
  TableOptions options = lower_fd_options();
  plot::Figure f = heat_map_figure(tables[0], options);
  ASSERT_TRUE(f.heat_map);
  const auto& map = *f.heat_map;
  ASSERT_EQ(map.columns, (std::vector<std::string>{"inception", "clip"}));
  ASSERT_EQ(map.rows, (std::vector<std::string>{"blur2", "noise"}));
  EXPECT_EQ(map.cell_colour[1], plot::rank_colour(0, 2));
  EXPECT_EQ(map.cell_colour[3], plot::rank_colour(1, 2));
  EXPECT_EQ(map.cell_text[1], "0.5000");
  EXPECT_EQ(map.cell_text[2], "—");  // noise has no fd in inception
  EXPECT_FALSE(map.cell_colour[2].has_value());
  EXPECT_EQ(map.cell_colour[0], plot::rank_colour(0, 1));  // alone in its column
  // Higher is better reverses the colours.
  options.better["fd"] = Better::kHigher;
  f = heat_map_figure(tables[0], options);
  EXPECT_EQ(f.heat_map->cell_colour[1], plot::rank_colour(1, 2));
  EXPECT_EQ(f.heat_map->cell_colour[3], plot::rank_colour(0, 2));
  // No direction: values shown, nothing ranked.
  options.better["fd"] = Better::kNeither;
  f = heat_map_figure(tables[0], options);
  EXPECT_EQ(f.heat_map->cell_colour[1], plot::kUnrankedColour);
  EXPECT_EQ(f.heat_map->scale_steps, 0);
}

TEST(ReportVisualOutputs, WritesEveryFileAfterTheTables) {
  testing::TempDir dir;
  const RunResults r = results_with_fractions();
  VisualInputs inputs;
  inputs.scores = {rarity_scores("blur2", {1, 2, 3}), rarity_scores("noise", {2, 3, 4})};
  inputs.contact_sheets.push_back({"blur2__vs__clean__clip__rarity_rarest", "rarest", {}});
  write_all(r, dir.path(), lower_fd_options());
  write_visual_outputs(r, inputs, lower_fd_options(), dir.path());
  for (const char* stem : {"heatmap_fd__vs__clean", "heatmap_kid__vs__clean",
                           "precision_recall__vs__clean", "distribution_rarity__vs__clean"})
    testing::expect_valid_figure(dir / "figures" / stem);
  EXPECT_EQ(testing::read_text(dir / "rankings" / "noise__vs__clean__clip__rarity.csv"),
            "rank,id,row,score\n1,img002.png,4,4\n2,img001.png,2,3\n3,img000.png,0,2\n");
  EXPECT_TRUE(fs::exists(dir / "contact_sheets" / "blur2__vs__clean__clip__rarity_rarest.png"));
  const std::string html = testing::read_text(dir / "report.html");
  EXPECT_NE(html.find("data:image/svg+xml;base64,"), std::string::npos);
  EXPECT_NE(html.find("rankings/noise__vs__clean__clip__rarity.csv"), std::string::npos);
  EXPECT_EQ(testing::read_text(dir / "results.json"), to_json_text(r));  // the tables are untouched
}

TEST(ReportVisualOutputs, AFigureThatCannotBeWrittenNamesItsFile) {
  testing::TempDir dir;
  const RunResults r = testing::sample_results();
  write_all(r, dir.path(), lower_fd_options());
  testing::write_text(dir / "figures", "a file where the directory goes");
  EXPECT_THROW_WITH(write_visual_outputs(r, {}, lower_fd_options(), dir.path()), IoError,
                    (dir / "figures").string());
  EXPECT_EQ(testing::read_text(dir / "results.json"), to_json_text(r));
}

TEST(ReportHtml, EscapesAndEncodes) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  // RFC 4648 section 10 test vectors.
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  RunResults r = testing::sample_results();
  r.job_name = "a<b";
  const std::string html = html_report(r, lower_fd_options(), {});
  EXPECT_NE(html.find("gensweep results: a&lt;b"), std::string::npos);
  EXPECT_EQ(html.find("a<b"), std::string::npos);
  // Best of its column in bold class, the full double for sorting, fallback flagged.
  EXPECT_NE(html.find("<td class=\"number best\" data-value=\"0.5\">0.5000</td>"),
            std::string::npos);
  EXPECT_NE(html.find("data-value=\"1\">1.0000†</td>"), std::string::npos);
  // No external resources: nothing is fetched from anywhere.
  for (const char* fetch : {"src=\"http", "href=\"http", "<link", "@import", "src=\"//"})
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
}

TEST(ReportHtml, SpreadsStandBesideValuesExceptForSingleEstimates) {
  RunResults r = testing::sample_results();
  r.entries = {{"clean", "blur2", "inception", "kid", 0.25, {{"std", 0.125}}},
               {"clean", "noise", "inception", "kid", 0.5, {{"std", 0.0}, {"full", true}}}};
  TableOptions options = lower_fd_options();
  options.show_spread = true;
  const std::string html = html_report(r, options, {});
  EXPECT_NE(html.find(">0.250000<span class=\"spread\"> ± 0.125000</span></td>"),
            std::string::npos);
  EXPECT_NE(html.find(">0.500000</td>"), std::string::npos);  // a full KID has no spread
  EXPECT_NE(html.find("kid (lower is better), reference: clean"), std::string::npos);
}

// report.html as a browser shows it: every table value in the DOM after the sorting script ran,
// and a screenshot that is not blank.
TEST(ReportHtml, RendersInHeadlessChromium) {
  if (!testing::have_chromium())
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  testing::TempDir dir;
  const RunResults r = results_with_fractions();
  VisualInputs inputs;
  inputs.scores = {rarity_scores("blur2", {1, 2, 3})};
  write_all(r, dir.path(), lower_fd_options());
  write_visual_outputs(r, inputs, lower_fd_options(), dir.path());
  const testing::BrowserView view = testing::open_in_chromium(dir / "report.html", dir.path());
  ASSERT_EQ(view.exit_code, 0) << view.log;
  EXPECT_NE(view.dom.find("<table class=\"sortable results\">"), std::string::npos) << view.log;
  EXPECT_EQ(
      testing::table_values_missing(view.dom, read_json(dir / "results.json"), lower_fd_options()),
      std::vector<std::string>{});
  const testing::PngSize shot = testing::decode_png_file(view.screenshot);
  EXPECT_EQ(shot.width, 1280);
  EXPECT_FALSE(shot.one_colour);
}

}  // namespace
}  // namespace gensweep::report
