#pragma once
// The decoded image every backbone starts from: 8-bit RGB, what PIL's Image.convert('RGB') gives
// (METRICS.md §1.1), so features match the Python references pixel for pixel.

#include <cstdint>
#include <vector>

namespace gensweep::io {

// HWC, RGB8, row-major: rgb[(y * width + x) * 3 + c], rgb.size() == width * height * 3.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
};

}  // namespace gensweep::io
