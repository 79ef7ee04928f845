// PNG decoding with libspng. spng decodes to the file's own sample format (SPNG_FMT_PNG: no
// scaling, no tRNS, no gamma) and the conversion to RGB8 is done here, so every colour type and
// bit depth follows Pillow's convert('RGB') exactly (see decode.h) rather than spng's own
// conversions (which, for instance, scale 16-bit gray where Pillow clips it).

#include <fmt/format.h>
#include <spng.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "codecs.h"

namespace gensweep::io::detail {
namespace {

// spng reports reading past the end of the buffer as an EOF error; everything else is damage.
std::string failure_reason(int error) {
  const bool truncated = error == SPNG_IO_EOF || error == SPNG_EOF;
  return fmt::format("{} PNG: {} (spng error {})", truncated ? "truncated" : "corrupt",
                     spng_strerror(error), error);
}

// Sample `index` of a row of `depth`-bit samples packed MSB first (depth 1, 2, 4).
inline unsigned packed_sample(const std::uint8_t* row, std::size_t index, int depth) {
  const std::size_t bit = index * static_cast<std::size_t>(depth);
  const unsigned shift = 8u - static_cast<unsigned>(depth) - static_cast<unsigned>(bit & 7);
  return (row[bit >> 3] >> shift) & ((1u << depth) - 1u);
}

inline std::uint16_t sample16(const std::uint8_t* row, std::size_t index) {
  std::uint16_t v;  // SPNG_FMT_PNG gives host-endian 16-bit samples
  std::memcpy(&v, row + 2 * index, 2);
  return v;
}

// Converts one decoded row (SPNG_FMT_PNG layout) to RGB8.
void convert_row(const spng_ihdr& ihdr, const spng_plte& plte, const std::uint8_t* in,
                 std::uint8_t* out) {
  const std::size_t w = ihdr.width;
  const int depth = ihdr.bit_depth;
  switch (ihdr.color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
      if (depth == 16) {
        // Pillow: mode I / I;16, whose conversion to RGB clips at 255 (see decode.h).
        for (std::size_t x = 0; x < w; ++x) {
          const auto g = static_cast<std::uint8_t>(std::min<unsigned>(sample16(in, x), 255u));
          out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = g;
        }
      } else if (depth == 8) {
        for (std::size_t x = 0; x < w; ++x)
          out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
      } else {
        const unsigned scale = 255u / ((1u << depth) - 1u);  // 255, 85, 17: exact
        for (std::size_t x = 0; x < w; ++x) {
          const auto g = static_cast<std::uint8_t>(packed_sample(in, x, depth) * scale);
          out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = g;
        }
      }
      break;
    case SPNG_COLOR_TYPE_TRUECOLOR:
      if (depth == 16) {
        for (std::size_t i = 0; i < 3 * w; ++i)
          out[i] = static_cast<std::uint8_t>(sample16(in, i) >> 8);
      } else {
        std::memcpy(out, in, 3 * w);
      }
      break;
    case SPNG_COLOR_TYPE_INDEXED:
      for (std::size_t x = 0; x < w; ++x) {
        const unsigned index = depth == 8 ? in[x] : packed_sample(in, x, depth);
        if (index < plte.n_entries) {
          out[3 * x] = plte.entries[index].red;
          out[3 * x + 1] = plte.entries[index].green;
          out[3 * x + 2] = plte.entries[index].blue;
        } else {
          out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = 0;  // Pillow's palette is zero-filled
        }
      }
      break;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
      for (std::size_t x = 0; x < w; ++x) {
        const std::uint8_t g =
            depth == 16 ? static_cast<std::uint8_t>(sample16(in, 2 * x) >> 8) : in[2 * x];
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = g;
      }
      break;
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
      for (std::size_t x = 0; x < w; ++x)
        for (std::size_t c = 0; c < 3; ++c)
          out[3 * x + c] =
              depth == 16 ? static_cast<std::uint8_t>(sample16(in, 4 * x + c) >> 8) : in[4 * x + c];
      break;
  }
}

}  // namespace

bool decode_png(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                std::string& reason) {
  SpngCtx ctx(spng_ctx_new(0));
  if (!ctx) {
    reason = "PNG decoder could not be created (out of memory)";
    return false;
  }
  int error = spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size());
  spng_ihdr ihdr{};
  if (!error) error = spng_get_ihdr(ctx.get(), &ihdr);
  if (error) {
    reason = failure_reason(error);
    return false;
  }
  // The decompression-bomb check comes from IHDR alone, before any pixel buffer exists.
  reason = check_pixel_limit(ihdr.width, ihdr.height, limits);
  if (!reason.empty()) return false;

  std::size_t decoded_size = 0;
  error = spng_decoded_image_size(ctx.get(), SPNG_FMT_PNG, &decoded_size);
  if (error) {
    reason = failure_reason(error);
    return false;
  }
  out.width = static_cast<int>(ihdr.width);
  out.height = static_cast<int>(ihdr.height);
  const std::size_t rgb_size = std::size_t{ihdr.width} * ihdr.height * 3;

  // 8-bit RGB (the common case) is already RGB8: decode straight into the output.
  if (ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR && ihdr.bit_depth == 8) {
    out.rgb.resize(rgb_size);
    error = spng_decode_image(ctx.get(), out.rgb.data(), out.rgb.size(), SPNG_FMT_PNG, 0);
    if (error) {
      reason = failure_reason(error);
      return false;
    }
    return true;
  }

  thread_local std::vector<std::uint8_t> scratch;
  std::vector<std::uint8_t> large;
  std::vector<std::uint8_t>& raw = decoded_size > kMaxRetainedScratchBytes ? large : scratch;
  raw.resize(decoded_size);
  error = spng_decode_image(ctx.get(), raw.data(), raw.size(), SPNG_FMT_PNG, 0);
  spng_plte plte{};
  if (!error && ihdr.color_type == SPNG_COLOR_TYPE_INDEXED) error = spng_get_plte(ctx.get(), &plte);
  if (error) {
    reason = failure_reason(error);
    return false;
  }
  out.rgb.resize(rgb_size);
  const std::size_t in_stride = decoded_size / ihdr.height;
  const std::size_t out_stride = std::size_t{ihdr.width} * 3;
  for (std::size_t y = 0; y < ihdr.height; ++y)
    convert_row(ihdr, plte, raw.data() + y * in_stride, out.rgb.data() + y * out_stride);
  return true;
}

}  // namespace gensweep::io::detail
