#include "gensweep/report/contact_sheet.h"

#include "gensweep/core/error.h"
#include "gensweep/report/plot.h"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace gensweep::report {
namespace {

using CairoPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

constexpr double kCaptionSize = 11, kTitleSize = 14;

// cairo's RGB24 is one native-endian 32-bit word per pixel, 0x00RRGGBB.
SurfacePtr surface_from_rgb(const SheetImage& image) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height),
                     cairo_surface_destroy);
  cairo_surface_flush(surface.get());
  unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  if (data == nullptr) return surface;  // cairo's error surface: drawing it is a no-op
  for (int y = 0; y < image.height; ++y) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    const std::uint8_t* rgb = image.rgb.data() + static_cast<std::size_t>(y) * image.width * 3;
    for (int x = 0; x < image.width; ++x, rgb += 3)
      row[x] = (std::uint32_t{rgb[0]} << 16) | (std::uint32_t{rgb[1]} << 8) | rgb[2];
  }
  cairo_surface_mark_dirty(surface.get());
  return surface;
}

// Text that fits `width`, shortened with "…" at the end when it does not.
std::string fitted(cairo_t* cr, const std::string& text, double width) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  if (extents.x_advance <= width) return text;
  std::string shorter = text;
  while (!shorter.empty()) {
    // Drop one UTF-8 code point (and its continuation bytes).
    do {
      shorter.pop_back();
    } while (!shorter.empty() && (static_cast<unsigned char>(shorter.back()) & 0xC0) == 0x80);
    const std::string candidate = shorter + "…";
    cairo_text_extents(cr, candidate.c_str(), &extents);
    if (extents.x_advance <= width) return candidate;
  }
  return "…";
}

void draw_centred(cairo_t* cr, const std::string& text, double centre_x, double baseline) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  cairo_move_to(cr, centre_x - extents.x_advance / 2, baseline);
  cairo_show_text(cr, text.c_str());
}

void draw_cell(cairo_t* cr, const SheetImage& image, double x, double y) {
  const double box = kSheetImageSize;
  if (image.rgb.empty() || image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_rectangle(cr, x, y, box, box);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.6, 0, 0);
    cairo_set_font_size(cr, kCaptionSize - 2);
    draw_centred(cr, fitted(cr, image.failure.empty() ? "no image" : image.failure, box - 4),
                 x + box / 2, y + box / 2);
    return;
  }
  // Whole-factor enlargement without smoothing for small images; smooth reduction for large ones.
  const double fit = std::min(box / image.width, box / image.height);
  const double scale = fit >= 1 ? std::floor(fit) : fit;
  const double w = image.width * scale, h = image.height * scale;
  SurfacePtr pixels = surface_from_rgb(image);
  cairo_save(cr);
  cairo_translate(cr, x + (box - w) / 2, y + (box - h) / 2);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, pixels.get(), 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr),
                           scale >= 1 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_rectangle(cr, 0, 0, image.width, image.height);
  cairo_fill(cr);
  cairo_restore(cr);
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

SheetGeometry sheet_geometry(std::size_t images) {
  SheetGeometry g;
  const std::size_t n = std::max<std::size_t>(images, 1);
  std::size_t columns = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  while (columns * columns < n)
    ++columns;  // sqrt round-off
  g.columns = static_cast<int>(columns);
  g.rows = static_cast<int>((n + columns - 1) / columns);
  g.cell_width = kSheetImageSize + 2 * kSheetPadding;
  g.cell_height = kSheetImageSize + kSheetCaptionHeight + 2 * kSheetPadding;
  g.width = g.columns * g.cell_width;
  g.height = kSheetTitleHeight + g.rows * g.cell_height;
  return g;
}

std::string contact_sheet_png(std::string_view title, std::span<const SheetImage> images) {
  const SheetGeometry g = sheet_geometry(images.size());
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, g.width, g.height),
                     cairo_surface_destroy);
  CairoPtr cr(cairo_create(surface.get()), cairo_destroy);
  cairo_t* c = cr.get();
  cairo_set_source_rgb(c, 1, 1, 1);
  cairo_paint(c);
  cairo_select_font_face(c, plot::kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(c, kTitleSize);
  cairo_set_source_rgb(c, 0, 0, 0);
  cairo_move_to(c, kSheetPadding, kSheetTitleHeight - 9);
  const std::string title_text = fitted(c, std::string(title), g.width - 2 * kSheetPadding);
  cairo_show_text(c, title_text.c_str());
  cairo_select_font_face(c, plot::kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const double x = static_cast<double>(static_cast<int>(i) % g.columns * g.cell_width);
    const double y =
        kSheetTitleHeight + static_cast<double>(static_cast<int>(i) / g.columns * g.cell_height);
    draw_cell(c, images[i], x + kSheetPadding, y + kSheetPadding);
    cairo_set_source_rgb(c, 0, 0, 0);
    cairo_set_font_size(c, kCaptionSize);
    draw_centred(c, fitted(c, images[i].caption, g.cell_width - 4), x + g.cell_width / 2.0,
                 y + kSheetPadding + kSheetImageSize + kSheetCaptionHeight - 5);
  }
  cairo_status_t status = cairo_status(c);
  cr.reset();
  std::string png;
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png_stream(surface.get(), append_to_string, &png);
  GENSWEEP_CHECK(status == CAIRO_STATUS_SUCCESS, IoError, "cannot draw the contact sheet '{}': {}",
                 title, cairo_status_to_string(status));
  return png;
}

std::vector<SheetSelection> select_contact_sheets(const SampleScores& scores,
                                                  std::span<const RankedImage> ranked, int k) {
  const std::string stem = scores_stem(scores);
  const std::size_t limit = static_cast<std::size_t>(std::max(k, 0));
  const bool rarity = scores.score == "rarity";
  const std::string about =
      fmt::format("{} vs {} in {}", scores.evaluated, scores.reference, scores.backbone);

  SheetSelection top, bottom;
  for (const auto& image : ranked) {
    if (top.images.size() == limit) break;
    if (!std::isnan(image.score)) top.images.push_back(image);
  }
  // From the end: the smallest scores first. A rarity of 0 lies outside every reference ball.
  for (auto it = ranked.rbegin(); it != ranked.rend() && bottom.images.size() < limit; ++it) {
    if (std::isnan(it->score) || (rarity && !(it->score > 0))) continue;
    bottom.images.push_back(*it);
  }
  if (rarity) {
    top.stem = stem + "_rarest";
    top.title = fmt::format("{} rarest of {} by rarity", top.images.size(), about);
    bottom.stem = stem + "_most_common";
    bottom.title = fmt::format("{} most common of {} by rarity (inside the reference manifold)",
                               bottom.images.size(), about);
  } else {
    top.stem = stem + "_best";
    top.title = fmt::format("{} best of {} by {}", top.images.size(), about, scores.score);
    bottom.stem = stem + "_worst";
    bottom.title = fmt::format("{} worst of {} by {}", bottom.images.size(), about, scores.score);
  }
  return {top, bottom};
}

}  // namespace gensweep::report
