// The plotting layer: histogram arithmetic on data whose counts are known by hand, rank colouring
// in both directions, ticks, and rendered files that are valid PDF, SVG and PNG of the declared
// size.
#include "gensweep/report/plot.h"

#include "gensweep/core/error.h"
#include "gensweep/io/decode.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <span>

namespace gensweep::report::plot {
namespace {

TEST(PlotHistogram, CountsAndDensityOnKnownData) {
  const std::vector<double> values = {0, 1, 2, 3, 4, NAN, 9};
  const Bins bins{0, 4, 4};  // [0,1) [1,2) [2,3) [3,4]: 4 closes the last bin, 9 is outside
  EXPECT_EQ(histogram_counts(values, bins), (std::vector<std::int64_t>{1, 1, 1, 2}));
  // density = count / (5 counted * width 1)
  const std::vector<double> density = histogram_density(values, bins);
  ASSERT_EQ(density.size(), 4u);
  EXPECT_DOUBLE_EQ(density[0], 0.2);
  EXPECT_DOUBLE_EQ(density[3], 0.4);
  // Density integrates to one for any bin width.
  const Bins narrow{0, 4, 8};
  double integral = 0;
  for (double d : histogram_density(values, narrow))
    integral += d * narrow.width();
  EXPECT_DOUBLE_EQ(integral, 1.0);
  EXPECT_EQ(histogram_density(std::vector<double>{}, bins), std::vector<double>(4, 0.0));
}

TEST(PlotHistogram, BinIndexAtEdges) {
  const Bins bins{-1, 1, 2};
  EXPECT_EQ(bins.index_of(-1), 0);
  EXPECT_EQ(bins.index_of(0), 1);  // an inner edge opens the next bin
  EXPECT_EQ(bins.index_of(1), 1);
  EXPECT_EQ(bins.index_of(1.0000001), -1);
  EXPECT_EQ(bins.index_of(-INFINITY), -1);
  EXPECT_EQ(bins.index_of(NAN), -1);
}

TEST(PlotHistogram, SharedBinsSpanEverySet) {
  const std::vector<std::vector<double>> sets = {{1, 2}, {5, NAN, 3}, {}};
  const Bins bins = shared_bins(sets, 8);
  EXPECT_EQ(bins.low, 1);
  EXPECT_EQ(bins.high, 5);
  EXPECT_EQ(bins.count, 8);
  // One distinct value: a unit span around it; nothing finite: [0, 1].
  const std::vector<std::vector<double>> flat = {{2, 2}, {2}};
  EXPECT_EQ(shared_bins(flat, 3).low, 1.5);
  EXPECT_EQ(shared_bins(flat, 3).high, 2.5);
  const std::vector<std::vector<double>> none = {{NAN}};
  EXPECT_EQ(shared_bins(none, 3).low, 0);
  EXPECT_EQ(shared_bins(none, 3).high, 1);
  EXPECT_THROW_WITH(shared_bins(sets, 0), DataError, "0 bins");
}

TEST(PlotRanks, FollowTheMetricsDirection) {
  const std::vector<double> values = {3, 1, 2, NAN};
  EXPECT_EQ(ranks_within(values, Better::kLower), (std::vector<int>{2, 0, 1, -1}));
  EXPECT_EQ(ranks_within(values, Better::kHigher), (std::vector<int>{0, 2, 1, -1}));
  EXPECT_EQ(ranks_within(values, Better::kNeither), (std::vector<int>{-1, -1, -1, -1}));
  // Ties share the better rank; the next rank skips (competition ranking).
  const std::vector<double> ties = {1, 1, 2};
  EXPECT_EQ(ranks_within(ties, Better::kLower), (std::vector<int>{0, 0, 2}));
}

TEST(PlotRanks, ColourGoesFromGreenToRed) {
  const int n = 6;
  double previous = INFINITY;
  for (int rank = 0; rank < n; ++rank) {
    const Colour c = rank_colour(rank, n);
    // Green minus red falls strictly with the rank: best is the greenest, worst the reddest.
    EXPECT_LT(c.green - c.red, previous) << rank;
    previous = c.green - c.red;
  }
  EXPECT_GT(rank_colour(0, n).green, rank_colour(0, n).red);
  EXPECT_GT(rank_colour(n - 1, n).red, rank_colour(n - 1, n).green);
  EXPECT_EQ(rank_colour(0, 1), rank_colour(0, n));  // a lone cell is best
}

TEST(PlotTicks, NiceStepsAndLabels) {
  const std::vector<double> ticks = nice_ticks(0, 1, 5);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks[1], 0.2);
  EXPECT_DOUBLE_EQ(ticks[5], 1.0);
  EXPECT_EQ(tick_label(ticks[1], ticks), "0.2");
  EXPECT_EQ(tick_label(0, ticks), "0.0");
  // [0, 1.04] in about 5: 0.2 would give 6 ticks just over the target, so 0.25 apart.
  const std::vector<double> quarters = nice_ticks(-0.02, 1.02, 5);
  EXPECT_EQ(quarters, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(tick_label(0.5, quarters), "0.50");
  const std::vector<double> wide = nice_ticks(-3, 47, 5);
  EXPECT_EQ(wide.front(), 0);  // multiples of the step: 0 is a tick when it is inside
  EXPECT_EQ(wide[1], 10);
  EXPECT_EQ(tick_label(wide[1], wide), "10");
}

Figure sample_figure() {
  Figure f;
  f.title = "rarity vs real";
  for (int p = 0; p < 2; ++p) {
    XYPanel panel;
    panel.title = p == 0 ? "pixels32" : "rcnn512";
    panel.x_label = "score";
    panel.y_label = "density";
    for (int s = 0; s < 3; ++s) {
      Series series;
      series.label = "set" + std::to_string(s);
      series.colour = series_colour(static_cast<std::size_t>(s));
      for (int i = 0; i < 10; ++i) {
        series.x.push_back(i);
        series.y.push_back(std::sin(i + s) + 1.5);
      }
      panel.series.push_back(series);
    }
    f.panels.push_back(panel);
  }
  f.note = "a note";
  return f;
}

void expect_valid_files(const RenderedFigure& r, Size size) {
  EXPECT_EQ(r.pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(r.pdf.find("%%EOF"), std::string::npos);
  EXPECT_NE(r.svg.find("<svg"), std::string::npos);
  EXPECT_NE(r.svg.find("</svg>"), std::string::npos);
  ASSERT_EQ(r.png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(r.png.data()), r.png.size());
  io::DecodeOutcome png = io::decode_image(bytes);
  ASSERT_TRUE(png.ok) << png.reason;
  EXPECT_EQ(png.image.width, size.width * kPngScale);
  EXPECT_EQ(png.image.height, size.height * kPngScale);
  // Something was drawn: not every pixel is the white background.
  bool drawn = false;
  for (std::uint8_t v : png.image.rgb)
    drawn = drawn || v != 255;
  EXPECT_TRUE(drawn);
}

TEST(PlotRender, PanelsGiveValidFilesOfTheDeclaredSize) {
  const Figure f = sample_figure();
  const Size size = figure_size(f);
  EXPECT_GT(size.width, 2 * 300);  // two panels and a legend
  expect_valid_files(render(f), size);
}

TEST(PlotRender, HeatMapGivesValidFiles) {
  Figure f;
  f.title = "fd vs real";
  HeatMap map;
  map.rows = {"a", "bb", "ccc"};
  map.columns = {"pixels32", "rcnn512"};
  map.cell_text = {"1.0", "2.0", "3.0", "4.0", "—", "6.0"};
  map.cell_colour = {rank_colour(0, 3), rank_colour(1, 3), rank_colour(2, 3),
                     rank_colour(0, 3), std::nullopt,      kUnrankedColour};
  map.scale_steps = 3;
  f.heat_map = map;
  expect_valid_files(render(f), figure_size(f));
}

TEST(PlotRender, SameFigureSameBytes) {
  // The PDF's dates are fixed (kFigureDate): rendering again gives identical files.
  const RenderedFigure a = render(sample_figure());
  const RenderedFigure b = render(sample_figure());
  // (EXPECT_TRUE: a failure would print megabytes of figure.)
  EXPECT_TRUE(a.pdf == b.pdf);
  EXPECT_TRUE(a.svg == b.svg);  // cairo numbers its surfaces process-wide; render renumbers them
  EXPECT_TRUE(a.png == b.png);
  // cairo 1.16 writes the date without PDF's "D:" prefix; readers accept both.
  EXPECT_NE(a.pdf.find("/CreationDate (20000101000000Z)"), std::string::npos);
}

TEST(PlotWrite, WritesThreeFormatsAndNamesTheFileItCannotWrite) {
  testing::TempDir dir;
  const RenderedFigure r = render(sample_figure());
  write_figure(r, dir / "figure");
  EXPECT_EQ(testing::read_text(dir / "figure.pdf"), r.pdf);
  EXPECT_EQ(testing::read_text(dir / "figure.svg"), r.svg);
  EXPECT_EQ(testing::read_text(dir / "figure.png"), r.png);
  EXPECT_THROW_WITH(write_figure(r, dir / "missing" / "figure"), IoError,
                    (dir / "missing" / "figure.pdf").string());
}

}  // namespace
}  // namespace gensweep::report::plot
