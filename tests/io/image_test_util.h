#pragma once
// Helpers for the io tests: synthetic images with known pixels, files, and PNG crafting.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "gensweep/io/encode.h"
#include "gensweep/io/image.h"

namespace gensweep::io::testing {

// Seeded random RGB8 image (gensweep::Rng): lossless round trips are checked on it.
Image random_image(int width, int height, std::uint64_t seed);
// Smooth colour gradients (what JPEG reproduces closely): r = 255*x/(w-1), g = 255*y/(h-1), b
// mixed.
Image smooth_image(int width, int height);
Image constant_image(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b);

void write_bytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// CRC-32 as PNG chunks use it (ISO 3309, polynomial 0xedb88320), to craft valid chunks.
std::uint32_t png_crc32(std::span<const std::uint8_t> bytes);
// A PNG made of the signature, an IHDR with the given fields and a valid CRC, then `tail`.
std::vector<std::uint8_t> crafted_png(std::uint32_t width, std::uint32_t height, int bit_depth,
                                      int color_type, std::span<const std::uint8_t> tail = {});
// Offset of the first chunk of this type (its length field), or npos.
std::size_t find_png_chunk(std::span<const std::uint8_t> png, const char type[4]);

PngLayout layout_of(int width, int height, PngColor color, int bit_depth, bool interlaced = false);
// Offset of the first JPEG marker 0xff `code` after SOI (e.g. 0xc0 for SOF0), or npos.
std::size_t find_jpeg_marker(std::span<const std::uint8_t> jpeg, std::uint8_t code);

int max_abs_diff(const Image& a, const Image& b);
double mean_abs_diff(const Image& a, const Image& b);

}  // namespace gensweep::io::testing
