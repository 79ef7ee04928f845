#pragma once
// A distortion confined to a region of the image: the region is given by a label image (a face
// parsing map, say) and a set of label values; pixels whose label is in the set take the distorted
// image's value, every other pixel keeps the original's. The distortion itself is computed on the
// whole image first, so a blur near the region's edge reads the pixels around it as the same
// blur of the whole image would (Kabra & Balakrishnan's region blurs).

#include <array>
#include <span>

#include "gensweep/io/image.h"

namespace gensweep::io {

// Which of the 256 label values are in the region.
using LabelSet = std::array<bool, 256>;

// The set of `values` (each 0..255; throws ConfigError naming the value otherwise).
LabelSet make_label_set(std::span<const int> values);

// The label of each pixel is the first channel of `labels` (the red channel of the decoded RGB,
// which for a gray or palette-free label PNG is the stored value). Returns `distorted` inside the
// region and `original` outside it. `original`, `distorted` and `labels` must have one size
// (throws DataError naming the three sizes otherwise; callers check sizes first to name ids).
Image composite_in_region(const Image& original, const Image& distorted, const Image& labels,
                          const LabelSet& region);

}  // namespace gensweep::io
