#pragma once
// Per-channel normalisation as torchvision's Normalize computes it (METRICS.md §1.6-§1.8), and
// numpy-style clipping (clean-fid clips its float resize to [0, 255], §1.5).

#include <array>

#include "gensweep/io/float_image.h"
#include "gensweep/io/image.h"

namespace gensweep::io {

// The range pixels are in before normalising: kUnit = ToTensor's v / 255 (CLIP, DINOv2, VGG16
// from torchvision), kByte = 0..255 floats (torch-fidelity's extractors, the NVIDIA Inception).
enum class ValueRange { kUnit, kByte };

// Per-channel mean and std as the Python references write them (doubles, for [0, 1] values).
struct ChannelStats {
  std::array<double, 3> mean, std;
};
inline constexpr ChannelStats kImageNetStats{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
inline constexpr ChannelStats kClipStats{{0.48145466, 0.4578275, 0.40821073},
                                         {0.26862954, 0.26130258, 0.27577711}};

// The float32 constants a reference normalises with: for kByte the double values are scaled by
// 255 in double first (torch-fidelity writes `255 * 0.485`), then each is rounded to float32, as
// torch.as_tensor(..., dtype=float32) rounds Python floats.
struct Normalization {
  std::array<float, 3> mean, std;
};
Normalization normalization_for(const ChannelStats& stats, ValueRange range);

// x <- (x - mean[c]) / std[c] on a 3-channel CHW image: torchvision's
// tensor.sub_(mean).div_(std), a float32 subtraction then a float32 division (two roundings; a
// true division, not a multiply by 1 / std). Throws IoError when a std is 0 (torchvision raises
// too) or the image does not have 3 channels.
void normalize_in_place(FloatImage& image, std::array<float, 3> mean, std::array<float, 3> std);

// Decoded RGB8 to normalised CHW float32: to_float_chw (v / 255.0f for kUnit, exactly as
// ToTensor; v for kByte), then normalize_in_place with normalization_for(stats, range).
FloatImage to_normalized_float(const Image& image, ValueRange range, const ChannelStats& stats);

// x <- min(max(x, lo), hi) with NaN kept, as numpy.clip (clean-fid's .clip(0, 255)).
void clip_in_place(FloatImage& image, float lo, float hi);

}  // namespace gensweep::io
