#pragma once
// Crops and output sizes as the reference pipelines compute them (METRICS.md §1.6-§1.8):
// torchvision's Resize(int) / CenterCrop on PIL images (CLIP, dgm-eval), CMMD's square crop, and
// the squash resize (Resize((s, s)): both sides, aspect ratio not kept, as dgm-eval's DINOv2
// preprocessing and the Rarity-score repository do).

#include <utility>

#include "gensweep/io/image.h"

namespace gensweep::io {

// torchvision Resize(size) with an int size: the shorter side becomes `size`, the longer
// int(size * long / short) (Python's true division then truncation; the double quotient of two
// exact integers is the correctly rounded one Python computes). Square images give (size, size).
// Returns {new_height, new_width}.
std::pair<int, int> shorter_side_size(int height, int width, int size);

// torchvision CenterCrop((out_h, out_w)) on a PIL image. Offsets are
// int(round((h - out_h) / 2.0)) with Python's round, which rounds halves to even: an odd margin
// 2k + 1 puts k pixels above when k is even, k + 1 when k is odd (h = 7 -> 4 gives top 2,
// h = 5 -> 4 gives top 0). When the crop is larger than the image on an axis, torchvision first
// pads with zeros (black), (crop - size) // 2 before and the rest after; the same is done here.
Image center_crop(const Image& image, int out_h, int out_w);

// CMMD's crop to a square (_center_crop_and_resize): side l = min(h, w), offsets (h - l) // 2 and
// (w - l) // 2 (floor: an odd margin leaves the extra pixel at the bottom / right).
Image square_center_crop(const Image& image);

// PIL bicubic (8-bit, antialiased) to shorter_side_size(h, w, size): what torchvision's
// Resize(size, interpolation=BICUBIC) does to a PIL image (OpenAI CLIP, dgm-eval, clean-fid's
// CLIP). Follow with center_crop(size, size). A squash resize is resize_bicubic_pil_u8(image, s,
// s).
Image resize_shorter_side_bicubic_u8(const Image& image, int size);

}  // namespace gensweep::io
