#pragma once
// Contact sheets: a PNG grid of images with each image's id written under it, for looking at the
// images a score singles out (the rarest and most common by rarity, the best and worst by GIQA).
// Written to OUTPUT/contact_sheets/<evaluated>__vs__<reference>__<backbone>__<score>_<which>.png,
// <which> one of rarest, most_common (rarity), best, worst (giqa_knn, giqa_gmm).
//
// Layout: a title line, then a grid of ceil(sqrt(k)) columns and as many rows as k needs, each
// cell an image fitted into kSheetImageSize x kSheetImageSize pixels (small images such as
// CIFAR's 32 x 32 are enlarged by whole factors, without smoothing, so pixels stay pixels) and its
// id underneath. The cells are filled row by row in rank order.

#include "gensweep/report/rankings.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::report {

inline constexpr int kSheetImageSize = 128;  // pixels, the longer side of each image
inline constexpr int kSheetCaptionHeight = 18, kSheetPadding = 6, kSheetTitleHeight = 28;
inline constexpr int kDefaultSheetImages = 16;

// One cell: an RGB8 image (HWC, rgb.size() == width * height * 3), or, when rgb is empty, the
// reason it could not be decoded, written in the cell instead.
struct SheetImage {
  std::string caption{};  // the image id
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb{};
  std::string failure{};
};

struct SheetGeometry {
  int columns = 0, rows = 0;
  int cell_width = 0, cell_height = 0;
  int width = 0, height = 0;  // of the whole PNG, in pixels
};
// The grid for `images` cells: columns = ceil(sqrt(images)), rows = ceil(images / columns).
SheetGeometry sheet_geometry(std::size_t images);

// The PNG bytes of a contact sheet. Throws IoError when cairo cannot draw it.
std::string contact_sheet_png(std::string_view title, std::span<const SheetImage> images);

// Which images a score's contact sheets show, in the order they are drawn.
struct SheetSelection {
  std::string stem{};   // file name without ".png"
  std::string title{};  // the line over the grid
  std::vector<RankedImage> images{};
};
// For rarity: the k rarest (largest scores) and the k most common (smallest positive scores, most
// common first: a score of 0 means outside every reference ball, not common). For GIQA: the k best
// and the k worst (worst first). NaN scores are never shown. Fewer than k when the set is smaller.
std::vector<SheetSelection> select_contact_sheets(const SampleScores& scores,
                                                  std::span<const RankedImage> ranked, int k);

}  // namespace gensweep::report
