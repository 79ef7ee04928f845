#include "gensweep/report/plot.h"

#include "gensweep/core/error.h"
#include "gensweep/report/atomic_file.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <numeric>

namespace gensweep::report::plot {

Colour series_colour(std::size_t index) {
  // Okabe & Ito (2008), "Color Universal Design"; black last, since axes are grey-black.
  static constexpr Colour kPalette[] = {
      {0.902, 0.624, 0.000}, {0.337, 0.706, 0.914}, {0.000, 0.620, 0.451}, {0.835, 0.369, 0.000},
      {0.000, 0.447, 0.698}, {0.800, 0.475, 0.655}, {0.941, 0.894, 0.259}, {0.000, 0.000, 0.000}};
  return kPalette[index % std::size(kPalette)];
}

int series_dash(std::size_t index) {
  return static_cast<int>((index / 8) % 3);
}

int Bins::index_of(double value) const {
  if (!std::isfinite(value) || value < low || value > high) return -1;
  if (value == high) return count - 1;  // the last bin is closed on the right
  const int i = static_cast<int>(std::floor((value - low) / width()));
  return std::clamp(i, 0, count - 1);  // round-off at the edges
}

Bins shared_bins(std::span<const std::vector<double>> sets, int count) {
  GENSWEEP_CHECK(count >= 1, DataError, "histogram: {} bins, expected at least 1", count);
  double low = INFINITY, high = -INFINITY;
  for (const auto& set : sets) {
    for (double v : set) {
      if (!std::isfinite(v)) continue;
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  if (!(low <= high)) return Bins{0, 1, count};  // nothing finite
  if (low == high) return Bins{low - 0.5, low + 0.5, count};
  return Bins{low, high, count};
}

std::vector<std::int64_t> histogram_counts(std::span<const double> values, const Bins& bins) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins.count), 0);
  for (double v : values) {
    const int i = bins.index_of(v);
    if (i >= 0) ++counts[static_cast<std::size_t>(i)];
  }
  return counts;
}

std::vector<double> histogram_density(std::span<const double> values, const Bins& bins) {
  const std::vector<std::int64_t> counts = histogram_counts(values, bins);
  const std::int64_t counted = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  std::vector<double> density(counts.size(), 0.0);
  if (counted == 0) return density;
  for (std::size_t i = 0; i < counts.size(); ++i)
    density[i] = static_cast<double>(counts[i]) / (static_cast<double>(counted) * bins.width());
  return density;
}

std::vector<int> ranks_within(std::span<const double> values, Better better) {
  std::vector<int> ranks(values.size(), -1);
  if (better == Better::kNeither) return ranks;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    int ahead = 0;  // finite values strictly better than this one
    for (double other : values) {
      if (!std::isfinite(other)) continue;
      if (better == Better::kLower ? other < values[i] : other > values[i]) ++ahead;
    }
    ranks[i] = ahead;
  }
  return ranks;
}

namespace {

Colour mix(const Colour& a, const Colour& b, double t) {
  return {a.red + (b.red - a.red) * t, a.green + (b.green - a.green) * t,
          a.blue + (b.blue - a.blue) * t};
}

// Relative luminance (sRGB weights, no linearisation: only "dark or light" is needed).
double luminance(const Colour& c) {
  return 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue;
}

}  // namespace

Colour rank_colour(int rank, int ranked) {
  // ColorBrewer RdYlGn end points and middle: green best, red worst.
  static constexpr Colour kBest{0.102, 0.588, 0.255}, kMiddle{1.0, 1.0, 0.749},
      kWorst{0.843, 0.098, 0.110};
  const double t = ranked <= 1 ? 0.0 : std::clamp(double(rank) / (ranked - 1), 0.0, 1.0);
  return t <= 0.5 ? mix(kBest, kMiddle, t * 2) : mix(kMiddle, kWorst, (t - 0.5) * 2);
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high) || target < 1) return {low};
  const double rough = (high - low) / target;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  double step = power;
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = factor * power;
    if (step >= rough) break;
  }
  std::vector<double> ticks;
  // Ticks on multiples of the step, so 0 is a tick whenever it is inside; a tolerance of a
  // thousandth of a step keeps the end points that round-off puts just outside.
  for (double k = std::ceil(low / step - 1e-3); k * step <= high + step * 1e-3; k += 1)
    ticks.push_back(k * step == 0 ? 0.0 : k * step);
  return ticks;
}

std::string tick_label(double value, std::span<const double> ticks) {
  const double step = ticks.size() >= 2 ? ticks[1] - ticks[0] : std::abs(value);
  const double magnitude =
      std::max(std::abs(ticks.empty() ? value : ticks.back()), std::abs(value));
  if (magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-3)) return fmt::format("{:.2g}", value);
  // As many decimals as the step needs: 0.25 apart needs 2, 0.5 apart 1, 5 apart none.
  int decimals = 0;
  if (step > 0) decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
  for (; decimals < 6; ++decimals) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6) break;
  }
  return format_fixed(value, decimals);
}

namespace {

// Layout, in points.
constexpr double kMargin = 10;
constexpr double kTitleSize = 13, kLabelSize = 10, kTickSize = 8.5, kCellSize = 9;
constexpr double kTitleHeight = 26;
constexpr double kPanelWidth = 300, kPanelHeight = 230;  // the plot area of one panel
constexpr double kPanelLeft = 58, kPanelTop = 22, kPanelBottom = 42, kPanelRight = 16;
constexpr double kLegendRow = 15, kLegendSwatch = 18;
constexpr double kCellHeight = 22, kCellPadding = 12, kScaleWidth = 14, kScaleGap = 18;
constexpr double kNoteHeight = 16;

using CairoPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

void set_font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& text, double size, bool bold = false) {
  set_font(cr, size, bold);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  return extents.x_advance;
}

enum class Anchor { kLeft, kCentre, kRight };

// Text whose vertical centre (half the cap height) sits at y.
void draw_text(cairo_t* cr, const std::string& text, double x, double y, double size,
               Anchor anchor = Anchor::kLeft, bool bold = false) {
  const double width = text_width(cr, text, size, bold);
  if (anchor == Anchor::kCentre) x -= width / 2;
  if (anchor == Anchor::kRight) x -= width;
  cairo_move_to(cr, x, y + size * 0.36);
  cairo_show_text(cr, text.c_str());
}

void set_colour(cairo_t* cr, const Colour& c) {
  cairo_set_source_rgb(cr, c.red, c.green, c.blue);
}

// One legend line: a stroke for curves, a dot for scatter points, as the series is drawn.
struct LegendEntry {
  std::string label;
  Colour colour;
  bool line = true;
  int dash = 0;
};

// Dash patterns in points: solid, dashed, dotted.
void set_dash(cairo_t* cr, int dash) {
  static constexpr double kDashed[] = {6, 3};
  static constexpr double kDotted[] = {1.5, 2.5};
  if (dash == 1)
    cairo_set_dash(cr, kDashed, 2, 0);
  else if (dash == 2)
    cairo_set_dash(cr, kDotted, 2, 0);
  else
    cairo_set_dash(cr, nullptr, 0, 0);
}

// Everything figure_size and draw agree on, computed once with a measuring context.
struct Layout {
  double width = 0, height = 0;
  double legend_x = 0, legend_width = 0;
  std::vector<LegendEntry> legend;
  // heat map
  double row_label_width = 0, cell_width = 0, header_height = 0;
};

std::vector<LegendEntry> legend_entries(const Figure& figure) {
  std::vector<LegendEntry> entries;
  for (const auto& panel : figure.panels) {
    for (const auto& series : panel.series) {
      if (series.label.empty()) continue;
      auto same = [&](const LegendEntry& e) { return e.label == series.label; };
      if (std::none_of(entries.begin(), entries.end(), same))
        entries.push_back({series.label, series.colour, series.line, series.dash});
    }
  }
  return entries;
}

Layout layout(cairo_t* cr, const Figure& figure) {
  Layout l;
  double body_width = 0, body_height = 0;
  if (figure.heat_map) {
    const HeatMap& map = *figure.heat_map;
    l.row_label_width = text_width(cr, map.row_title, kLabelSize, true) + kCellPadding;
    for (const auto& row : map.rows)
      l.row_label_width =
          std::max(l.row_label_width, text_width(cr, row, kCellSize) + kCellPadding);
    l.cell_width = 64;
    for (const auto& column : map.columns)
      l.cell_width = std::max(l.cell_width, text_width(cr, column, kCellSize, true) + kCellPadding);
    for (const auto& text : map.cell_text)
      l.cell_width = std::max(l.cell_width, text_width(cr, text, kCellSize) + kCellPadding);
    l.header_height = kCellHeight * (map.column_title.empty() ? 1 : 2);
    body_width = l.row_label_width + l.cell_width * static_cast<double>(map.columns.size());
    if (map.scale_steps > 0) {
      const double labels = std::max(text_width(cr, map.scale_best_label, kTickSize),
                                     text_width(cr, map.scale_worst_label, kTickSize));
      body_width += kScaleGap + kScaleWidth + 6 + labels;
    }
    body_height = l.header_height +
                  kCellHeight * static_cast<double>(std::max<std::size_t>(map.rows.size(), 3));
  } else {
    const double panel_width = kPanelLeft + kPanelWidth + kPanelRight;
    body_width = panel_width * static_cast<double>(std::max<std::size_t>(figure.panels.size(), 1));
    body_height = kPanelTop + kPanelHeight + kPanelBottom;
    l.legend = legend_entries(figure);
    if (!l.legend.empty()) {
      for (const auto& entry : l.legend)
        l.legend_width = std::max(l.legend_width, text_width(cr, entry.label, kLabelSize));
      l.legend_width += kLegendSwatch + 8;
      l.legend_x = kMargin + body_width + 4;
      body_width += l.legend_width + 8;
      body_height =
          std::max(body_height, kPanelTop + kLegendRow * static_cast<double>(l.legend.size()));
    }
  }
  const double title_width = text_width(cr, figure.title, kTitleSize, true);
  const double note_width = text_width(cr, figure.note, kTickSize);
  l.width = std::ceil(2 * kMargin + std::max({body_width, title_width, note_width}));
  l.height = std::ceil(kMargin + kTitleHeight + body_height + kMargin +
                       (figure.note.empty() ? 0 : kNoteHeight));
  return l;
}

struct Range {
  double low = 0, high = 1;
  double to(double v, double from, double to) const {
    return from + (v - low) / (high - low) * (to - from);
  }
};

Range data_range(const XYPanel& panel, bool x_axis) {
  double low = INFINITY, high = -INFINITY;
  bool curves = false;
  for (const auto& s : panel.series) {
    for (double v : x_axis ? s.x : s.y) {
      if (!std::isfinite(v)) continue;
      low = std::min(low, v);
      high = std::max(high, v);
    }
    curves = curves || s.line;
  }
  if (!(low <= high)) return {0, 1};
  if (!x_axis && curves) low = std::min(low, 0.0);  // densities start at zero
  if (low == high) return {low - 0.5, high + 0.5};
  const double margin = (high - low) * 0.05;
  return {curves && !x_axis && low == 0 ? 0 : low - margin, high + margin};
}

void draw_panel(cairo_t* cr, const XYPanel& panel, double left, double top) {
  const double x0 = left + kPanelLeft, y0 = top + kPanelTop;
  const double x1 = x0 + kPanelWidth, y1 = y0 + kPanelHeight;
  Range rx =
      panel.x_range ? Range{panel.x_range->first, panel.x_range->second} : data_range(panel, true);
  Range ry =
      panel.y_range ? Range{panel.y_range->first, panel.y_range->second} : data_range(panel, false);
  auto px = [&](double v) { return rx.to(v, x0, x1); };
  auto py = [&](double v) { return ry.to(v, y1, y0); };

  set_colour(cr, {0, 0, 0});
  draw_text(cr, panel.title, (x0 + x1) / 2, top + kPanelTop / 2, kLabelSize, Anchor::kCentre, true);

  // Grid lines and tick labels.
  cairo_set_line_width(cr, 0.5);
  const std::vector<double> xticks = nice_ticks(rx.low, rx.high, 5);
  const std::vector<double> yticks = nice_ticks(ry.low, ry.high, 5);
  for (double t : xticks) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, px(t), y0);
    cairo_line_to(cr, px(t), y1);
    cairo_stroke(cr);
    set_colour(cr, {0.2, 0.2, 0.2});
    cairo_move_to(cr, px(t), y1);
    cairo_line_to(cr, px(t), y1 + 4);
    cairo_stroke(cr);
    draw_text(cr, tick_label(t, xticks), px(t), y1 + 11, kTickSize, Anchor::kCentre);
  }
  for (double t : yticks) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, x0, py(t));
    cairo_line_to(cr, x1, py(t));
    cairo_stroke(cr);
    set_colour(cr, {0.2, 0.2, 0.2});
    cairo_move_to(cr, x0 - 4, py(t));
    cairo_line_to(cr, x0, py(t));
    cairo_stroke(cr);
    draw_text(cr, tick_label(t, yticks), x0 - 6, py(t), kTickSize, Anchor::kRight);
  }
  cairo_set_line_width(cr, 0.8);
  cairo_rectangle(cr, x0, y0, kPanelWidth, kPanelHeight);
  cairo_stroke(cr);

  // Axis labels.
  set_colour(cr, {0, 0, 0});
  draw_text(cr, panel.x_label, (x0 + x1) / 2, y1 + 30, kLabelSize, Anchor::kCentre);
  cairo_save(cr);
  cairo_translate(cr, left + 12, (y0 + y1) / 2);
  cairo_rotate(cr, -std::numbers::pi / 2);
  draw_text(cr, panel.y_label, 0, 0, kLabelSize, Anchor::kCentre);
  cairo_restore(cr);

  // Data, clipped to the plot area (a fixed range may cut a curve).
  cairo_save(cr);
  cairo_rectangle(cr, x0, y0, kPanelWidth, kPanelHeight);
  cairo_clip(cr);
  for (const auto& s : panel.series) {
    set_colour(cr, s.colour);
    const std::size_t n = std::min(s.x.size(), s.y.size());
    if (s.line) {
      cairo_set_line_width(cr, 1.6);
      set_dash(cr, s.dash);
      bool open = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
          open = false;
          continue;
        }
        if (open)
          cairo_line_to(cr, px(s.x[i]), py(s.y[i]));
        else
          cairo_move_to(cr, px(s.x[i]), py(s.y[i]));
        open = true;
      }
      cairo_stroke(cr);
      set_dash(cr, 0);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, px(s.x[i]), py(s.y[i]), 4, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
      }
    }
  }
  cairo_restore(cr);
  // Point labels may stand beyond the frame: a point at recall 1 keeps its name. A label goes
  // right of its point (left in the right quarter, to stay off the next panel and the legend), or
  // on the other side when that one is taken; a label that would cover another label or another
  // point is left out (the legend still names the colour): a cluster of overprinted names next to
  // the wrong dots helps nobody.
  struct Box {
    double left, right, top, bottom;
    bool overlaps(const Box& b) const {
      return left < b.right && b.left < right && top < b.bottom && b.top < bottom;
    }
  };
  constexpr double kDot = 4;
  std::vector<Box> taken;
  for (const auto& s : panel.series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
        taken.push_back(
            {px(s.x[i]) - kDot, px(s.x[i]) + kDot, py(s.y[i]) - kDot, py(s.y[i]) + kDot});
    }
  }
  set_colour(cr, {0.1, 0.1, 0.1});
  for (const auto& s : panel.series) {
    const std::size_t n = std::min({s.x.size(), s.y.size(), s.point_labels.size()});
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double width = text_width(cr, s.point_labels[i], kTickSize);
      const double x = px(s.x[i]), y = py(s.y[i]) - 6;
      const Box own{x - kDot, x + kDot, py(s.y[i]) - kDot, py(s.y[i]) + kDot};
      const Box right{x + 6, x + 6 + width, y - kTickSize / 2, y + kTickSize / 2};
      const Box left{x - 6 - width, x - 6, y - kTickSize / 2, y + kTickSize / 2};
      const bool prefer_left = x > x0 + kPanelWidth * 0.75;
      for (const Box& box : prefer_left ? std::array{left, right} : std::array{right, left}) {
        auto blocks = [&](const Box& b) {
          return b.overlaps(box) && !(b.left == own.left && b.top == own.top);
        };
        if (std::any_of(taken.begin(), taken.end(), blocks)) continue;
        taken.push_back(box);
        draw_text(cr, s.point_labels[i], box.left, y, kTickSize);
        break;
      }
    }
  }
}

void draw_legend(cairo_t* cr, const Layout& l, double top) {
  double y = top + kPanelTop + kLegendRow / 2;
  for (const auto& entry : l.legend) {
    set_colour(cr, entry.colour);
    if (entry.line) {
      cairo_set_line_width(cr, 3);
      set_dash(cr, entry.dash);
      cairo_move_to(cr, l.legend_x, y);
      cairo_line_to(cr, l.legend_x + kLegendSwatch - 4, y);
      cairo_stroke(cr);
      set_dash(cr, 0);
    } else {
      cairo_new_sub_path(cr);
      cairo_arc(cr, l.legend_x + (kLegendSwatch - 4) / 2, y, 4, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    }
    set_colour(cr, {0, 0, 0});
    draw_text(cr, entry.label, l.legend_x + kLegendSwatch, y, kLabelSize);
    y += kLegendRow;
  }
}

void draw_heat_map(cairo_t* cr, const HeatMap& map, const Layout& l, double top) {
  const double x0 = kMargin + l.row_label_width;
  const double y0 = top + l.header_height;
  const std::size_t columns = map.columns.size();
  set_colour(cr, {0, 0, 0});
  if (!map.column_title.empty())
    draw_text(cr, map.column_title, x0 + l.cell_width * static_cast<double>(columns) / 2,
              top + kCellHeight / 2, kLabelSize, Anchor::kCentre, true);
  draw_text(cr, map.row_title, kMargin, y0 - kCellHeight / 2, kLabelSize, Anchor::kLeft, true);
  for (std::size_t c = 0; c < columns; ++c)
    draw_text(cr, map.columns[c], x0 + l.cell_width * (static_cast<double>(c) + 0.5),
              y0 - kCellHeight / 2, kCellSize, Anchor::kCentre, true);
  for (std::size_t r = 0; r < map.rows.size(); ++r) {
    const double y = y0 + kCellHeight * static_cast<double>(r);
    set_colour(cr, {0, 0, 0});
    draw_text(cr, map.rows[r], x0 - kCellPadding / 2, y + kCellHeight / 2, kCellSize,
              Anchor::kRight);
    for (std::size_t c = 0; c < columns; ++c) {
      const std::size_t i = r * columns + c;
      const double x = x0 + l.cell_width * static_cast<double>(c);
      const Colour fill =
          i < map.cell_colour.size() && map.cell_colour[i] ? *map.cell_colour[i] : Colour{1, 1, 1};
      set_colour(cr, fill);
      cairo_rectangle(cr, x, y, l.cell_width, kCellHeight);
      cairo_fill_preserve(cr);
      cairo_set_source_rgb(cr, 1, 1, 1);
      cairo_set_line_width(cr, 1);
      cairo_stroke(cr);
      // Dark cells take white text so that every value stays readable.
      set_colour(cr, luminance(fill) < 0.45 ? Colour{1, 1, 1} : Colour{0, 0, 0});
      if (i < map.cell_text.size())
        draw_text(cr, map.cell_text[i], x + l.cell_width / 2, y + kCellHeight / 2, kCellSize,
                  Anchor::kCentre);
    }
  }
  if (map.scale_steps <= 0) return;
  const double sx = x0 + l.cell_width * static_cast<double>(columns) + kScaleGap;
  const double height =
      kCellHeight * static_cast<double>(std::max<std::size_t>(map.rows.size(), 3));
  const double step = height / map.scale_steps;
  for (int i = 0; i < map.scale_steps; ++i) {
    set_colour(cr, rank_colour(i, map.scale_steps));
    cairo_rectangle(cr, sx, y0 + step * i, kScaleWidth, step + 0.5);
    cairo_fill(cr);
  }
  set_colour(cr, {0, 0, 0});
  draw_text(cr, map.scale_best_label, sx + kScaleWidth + 6, y0 + 5, kTickSize);
  draw_text(cr, map.scale_worst_label, sx + kScaleWidth + 6, y0 + height - 5, kTickSize);
}

void draw(cairo_t* cr, const Figure& figure, const Layout& l) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  set_colour(cr, {0, 0, 0});
  draw_text(cr, figure.title, kMargin, kMargin + kTitleHeight / 2 - 4, kTitleSize, Anchor::kLeft,
            true);
  const double top = kMargin + kTitleHeight;
  if (figure.heat_map) {
    draw_heat_map(cr, *figure.heat_map, l, top);
  } else {
    const double panel_width = kPanelLeft + kPanelWidth + kPanelRight;
    for (std::size_t i = 0; i < figure.panels.size(); ++i)
      draw_panel(cr, figure.panels[i], kMargin + panel_width * static_cast<double>(i), top);
    draw_legend(cr, l, top);
  }
  if (!figure.note.empty()) {
    set_colour(cr, {0.3, 0.3, 0.3});
    draw_text(cr, figure.note, kMargin, l.height - kMargin - kNoteHeight / 2, kTickSize);
  }
}

Layout measure(const Figure& figure) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1), cairo_surface_destroy);
  CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
  return layout(cr.get(), figure);
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Draws on a vector surface (PDF, SVG) and finishes it, so that every byte has been streamed.
void draw_and_finish(cairo_surface_t* surface, const Figure& figure, const Layout& l,
                     const char* format) {
  CairoPtr cr(cairo_create(surface), cairo_destroy);
  draw(cr.get(), figure, l);
  const cairo_status_t drawn = cairo_status(cr.get());
  cr.reset();
  cairo_surface_finish(surface);
  const cairo_status_t status =
      drawn != CAIRO_STATUS_SUCCESS ? drawn : cairo_surface_status(surface);
  GENSWEEP_CHECK(status == CAIRO_STATUS_SUCCESS, IoError, "cannot draw the {} of figure '{}': {}",
                 format, figure.title, cairo_status_to_string(status));
}

// cairo names SVG groups after its surfaces' process-wide serial numbers ("surface155"), so the
// same figure drawn later in a run would differ. Renumbers them in order of appearance (references
// included), which makes the SVG depend on the figure alone.
std::string renumber_svg_surfaces(const std::string& svg) {
  static constexpr std::string_view kPrefix = "surface";
  std::map<std::string, std::string, std::less<>> names;
  std::string out;
  out.reserve(svg.size());
  std::size_t at = 0;
  while (true) {
    const std::size_t found = svg.find(kPrefix, at);
    if (found == std::string::npos) break;
    std::size_t end = found + kPrefix.size();
    while (end < svg.size() && std::isdigit(static_cast<unsigned char>(svg[end])))
      ++end;
    out.append(svg, at, end - at);
    if (end > found + kPrefix.size()) {
      out.resize(out.size() - (end - found - kPrefix.size()));
      const std::string number = svg.substr(found + kPrefix.size(), end - found - kPrefix.size());
      auto [it, added] = names.try_emplace(number, std::to_string(names.size() + 1));
      out += it->second;
    }
    at = end;
  }
  out.append(svg, at, std::string::npos);
  return out;
}

}  // namespace

Size figure_size(const Figure& figure) {
  const Layout l = measure(figure);
  return {static_cast<int>(l.width), static_cast<int>(l.height)};
}

RenderedFigure render(const Figure& figure) {
  const Layout l = measure(figure);
  RenderedFigure out;
  {
    SurfacePtr pdf(
        cairo_pdf_surface_create_for_stream(append_to_string, &out.pdf, l.width, l.height),
        cairo_surface_destroy);
    cairo_pdf_surface_set_metadata(pdf.get(), CAIRO_PDF_METADATA_TITLE, figure.title.c_str());
    cairo_pdf_surface_set_metadata(pdf.get(), CAIRO_PDF_METADATA_CREATOR, "gensweep");
    cairo_pdf_surface_set_metadata(pdf.get(), CAIRO_PDF_METADATA_CREATE_DATE, kFigureDate);
    cairo_pdf_surface_set_metadata(pdf.get(), CAIRO_PDF_METADATA_MOD_DATE, kFigureDate);
    draw_and_finish(pdf.get(), figure, l, "PDF");
  }
  {
    SurfacePtr svg(
        cairo_svg_surface_create_for_stream(append_to_string, &out.svg, l.width, l.height),
        cairo_surface_destroy);
    draw_and_finish(svg.get(), figure, l, "SVG");
  }
  out.svg = renumber_svg_surfaces(out.svg);
  {
    SurfacePtr png(
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(l.width) * kPngScale,
                                   static_cast<int>(l.height) * kPngScale),
        cairo_surface_destroy);
    CairoPtr cr(cairo_create(png.get()), cairo_destroy);
    cairo_scale(cr.get(), kPngScale, kPngScale);
    draw(cr.get(), figure, l);
    cairo_status_t status = cairo_status(cr.get());
    cr.reset();
    cairo_surface_flush(png.get());
    if (status == CAIRO_STATUS_SUCCESS)
      status = cairo_surface_write_to_png_stream(png.get(), append_to_string, &out.png);
    GENSWEEP_CHECK(status == CAIRO_STATUS_SUCCESS, IoError,
                   "cannot draw the PNG of figure '{}': {}", figure.title,
                   cairo_status_to_string(status));
  }
  return out;
}

void write_figure(const RenderedFigure& figure, const std::filesystem::path& stem) {
  const std::string base = stem.string();
  write_file_atomically(base + ".pdf", figure.pdf);
  write_file_atomically(base + ".svg", figure.svg);
  write_file_atomically(base + ".png", figure.png);
}

}  // namespace gensweep::report::plot
