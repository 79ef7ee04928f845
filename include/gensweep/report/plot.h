#pragma once
// A thin plotting layer: the few chart kinds the report draws (histogram curves, labelled scatter
// points, heat-map cells with a colour scale), each with axes, ticks, axis labels and a legend,
// described as plain data and drawn by one cairo drawing code onto PDF (for papers), SVG (for the
// web page) and PNG surfaces.
//
// Why cairo rather than PLplot: PLplot's output drivers are plugins loaded at run time (a missing
// driver package shows up only when a figure is written, at the end of a long run on a cluster),
// and its cairo driver is itself a separate package; cairo gives the three formats from one API
// and one drawing function, links as an ordinary library, and is already a dependency of most
// desktops. Text uses cairo's toy text API with DejaVu Sans (fonts-dejavu-core): labels are ids
// and numbers, which need no shaping (Pango, HarfBuzz).
//
// Reproducible bytes: the PDF's creation and modification dates are fixed (kFigureDate), so the
// same figure gives the same PDF, SVG and PNG bytes on every run with the same cairo and fonts.

#include "gensweep/report/tables.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gensweep::report::plot {

// The date written into every PDF's metadata: fixed so that reruns give identical files (the run's
// real time is in results.json).
inline constexpr const char* kFigureDate = "2000-01-01T00:00:00Z";
// PNG pixels per PDF/SVG point: 2, so that the raster copy stays sharp on high-density screens.
inline constexpr int kPngScale = 2;
// The font family of every label (fonts-dejavu-core); fontconfig substitutes when it is missing.
inline constexpr const char* kFontFamily = "DejaVu Sans";

struct Colour {
  double red = 0, green = 0, blue = 0;  // 0..1
  bool operator==(const Colour&) const = default;
};

// The colour of a figure's i-th series: Okabe and Ito's palette, told apart with colour-vision
// deficiencies; cycles after eight.
Colour series_colour(std::size_t index);
// The dash style of the i-th series: solid for the first eight (one per colour), then dashed,
// then dotted, so that up to 24 curves stay distinguishable.
int series_dash(std::size_t index);

// `count` equal-width bins over [low, high]; the last bin is closed on the right, so `high` counts.
struct Bins {
  double low = 0, high = 1;
  int count = 1;
  double width() const { return (high - low) / count; }
  double edge(int i) const { return low + (high - low) * i / count; }
  // The bin holding `value`, or -1 when it is outside [low, high] or not finite.
  int index_of(double value) const;
};

// Bins spanning every finite value of every set, so that the curves of several sets share their
// bins and can be compared. When the values span nothing (one distinct value, or none finite) the
// bins span a unit interval centred on that value (or [0, 1]).
Bins shared_bins(std::span<const std::vector<double>> sets, int count);

// Values per bin; non-finite values and values outside the bins are left out.
std::vector<std::int64_t> histogram_counts(std::span<const double> values, const Bins& bins);
// Probability density per bin: count / (counted * width), which integrates to 1 over the bins;
// all zeros when nothing was counted.
std::vector<double> histogram_density(std::span<const double> values, const Bins& bins);

// The rank of each value in its column, 0 = best, by the metric's direction: ascending for
// kLower, descending for kHigher. Equal values share the better rank (competition ranking: 0, 0,
// 2). Non-finite values and every value of a kNeither metric are unranked: -1.
std::vector<int> ranks_within(std::span<const double> values, Better better);
// The colour of rank `rank` among `ranked` ranked cells, on a diverging scale from green (best)
// through pale yellow to red (worst); a single ranked cell is best. Unranked cells are drawn grey.
Colour rank_colour(int rank, int ranked);
inline constexpr Colour kUnrankedColour{0.93, 0.93, 0.93};

// "Nice" tick positions (1, 2, 2.5 or 5 times a power of ten apart) inside [low, high], about
// `target` of them. tick_label takes them all, so that every label shows the same decimals.
std::vector<double> nice_ticks(double low, double high, int target);
std::string tick_label(double value, std::span<const double> ticks);

struct Series {
  std::string label;  // legend text (series of several panels with one label share one entry)
  Colour colour;      // series_colour(i) of the i-th thing drawn, the same in every panel
  std::vector<double> x, y;
  bool line = true;  // true: a polyline through the points (histogram curve); false: markers
  // Lines only: 0 solid, 1 dashed, 2 dotted; series_dash(i) tells apart more series than colours.
  int dash = 0;
  std::vector<std::string> point_labels;  // markers only: text beside each point, or empty
};

struct XYPanel {
  std::string title;
  std::string x_label, y_label;
  // Axis spans; when absent, the data's span with a margin (and 0 included for y of curves).
  std::optional<std::pair<double, double>> x_range, y_range;
  std::vector<Series> series;
};

// Rows x columns of cells, each with its text and colour (nullopt: nothing computed there).
struct HeatMap {
  std::vector<std::string> rows, columns;
  std::vector<std::string> cell_text;              // row-major
  std::vector<std::optional<Colour>> cell_colour;  // row-major
  std::string row_title, column_title;
  // The colour scale drawn beside the grid: from rank_colour(0, scale_steps) to the worst, with
  // its two end labels; no scale when scale_steps is 0.
  int scale_steps = 0;
  std::string scale_best_label = "best", scale_worst_label = "worst";
};

// One figure: a title and either panels side by side (sharing one legend) or a heat map.
struct Figure {
  std::string title;
  std::vector<XYPanel> panels;
  std::optional<HeatMap> heat_map;
  std::string note;  // a line of small text under everything, or empty
};

// Size of the figure in points (PDF, SVG); the PNG is kPngScale times larger.
struct Size {
  int width = 0, height = 0;
};
Size figure_size(const Figure& figure);

struct RenderedFigure {
  std::string pdf, svg, png;
};
// Draws the figure once per format with the same code.
RenderedFigure render(const Figure& figure);

// Writes <stem>.pdf, <stem>.svg and <stem>.png, each atomically. Throws IoError naming the file.
void write_figure(const RenderedFigure& figure, const std::filesystem::path& stem);

}  // namespace gensweep::report::plot
