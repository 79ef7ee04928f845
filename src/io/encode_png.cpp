// PNG encoding with libspng (to memory).

#include <spng.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "codecs.h"
#include "gensweep/core/error.h"
#include "gensweep/io/encode.h"

namespace gensweep::io {
namespace {

int channels_of(PngColor color) {
  switch (color) {
    case PngColor::kGray:
    case PngColor::kPalette:
      return 1;
    case PngColor::kGrayAlpha:
      return 2;
    case PngColor::kRgb:
      return 3;
    case PngColor::kRgba:
      return 4;
  }
  return 0;
}

bool depth_allowed(PngColor color, int depth) {
  switch (color) {
    case PngColor::kGray:
      return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case PngColor::kPalette:
      return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    default:
      return depth == 8 || depth == 16;
  }
}

// `raw`: rows in SPNG_FMT_PNG layout (sub-byte samples packed MSB first, 16-bit host-endian).
std::vector<std::uint8_t> encode_raw(const PngLayout& layout,
                                     const std::vector<std::uint8_t>& raw) {
  detail::SpngCtx ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!ctx) throw IoError("PNG encoder could not be created (out of memory)");
  spng_ihdr ihdr{};
  ihdr.width = static_cast<std::uint32_t>(layout.width);
  ihdr.height = static_cast<std::uint32_t>(layout.height);
  ihdr.bit_depth = static_cast<std::uint8_t>(layout.bit_depth);
  ihdr.color_type = static_cast<std::uint8_t>(layout.color);
  ihdr.interlace_method = layout.interlaced ? SPNG_INTERLACE_ADAM7 : SPNG_INTERLACE_NONE;
  int error = spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  if (!error) error = spng_set_ihdr(ctx.get(), &ihdr);
  if (!error && layout.color == PngColor::kPalette) {
    spng_plte plte{};
    plte.n_entries = static_cast<std::uint32_t>(layout.palette.size());
    for (std::size_t i = 0; i < layout.palette.size(); ++i) {
      plte.entries[i].red = layout.palette[i][0];
      plte.entries[i].green = layout.palette[i][1];
      plte.entries[i].blue = layout.palette[i][2];
    }
    error = spng_set_plte(ctx.get(), &plte);
  }
  if (!error)
    error =
        spng_encode_image(ctx.get(), raw.data(), raw.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
  if (error) throw IoError(fmt::format("PNG encoding failed: {}", spng_strerror(error)));
  std::size_t size = 0;
  void* buffer = spng_get_png_buffer(ctx.get(), &size, &error);
  if (!buffer) throw IoError(fmt::format("PNG encoding failed: {}", spng_strerror(error)));
  const auto* begin = static_cast<const std::uint8_t*>(buffer);
  std::vector<std::uint8_t> png(begin, begin + size);
  std::free(buffer);  // spng hands the buffer over; it was allocated with malloc
  return png;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const Image& image) {
  GENSWEEP_CHECK(image.width > 0 && image.height > 0 &&
                     image.rgb.size() == std::size_t(image.width) * image.height * 3,
                 IoError, "encode_png: image {}x{} has {} bytes, expected width*height*3",
                 image.width, image.height, image.rgb.size());
  PngLayout layout;
  layout.width = image.width;
  layout.height = image.height;
  return encode_raw(layout, image.rgb);
}

std::vector<std::uint8_t> encode_png_samples(const PngLayout& layout,
                                             std::span<const std::uint16_t> samples) {
  const int channels = channels_of(layout.color);
  GENSWEEP_CHECK(channels > 0 && depth_allowed(layout.color, layout.bit_depth), IoError,
                 "encode_png_samples: bit depth {} is not allowed for PNG colour type {}",
                 layout.bit_depth, static_cast<int>(layout.color));
  GENSWEEP_CHECK(layout.width > 0 && layout.height > 0, IoError,
                 "encode_png_samples: size {}x{} must be positive", layout.width, layout.height);
  const std::size_t per_row = std::size_t(layout.width) * channels;
  GENSWEEP_CHECK(samples.size() == per_row * layout.height, IoError,
                 "encode_png_samples: {} samples, expected {}", samples.size(),
                 per_row * layout.height);
  GENSWEEP_CHECK(layout.color != PngColor::kPalette ||
                     (!layout.palette.empty() && layout.palette.size() <= 256),
                 IoError, "encode_png_samples: palette has {} entries, expected 1..256",
                 layout.palette.size());
  const int depth = layout.bit_depth;
  const std::size_t row_bytes = (per_row * depth + 7) / 8;
  std::vector<std::uint8_t> raw(row_bytes * layout.height, 0);
  for (int y = 0; y < layout.height; ++y) {
    std::uint8_t* row = raw.data() + y * row_bytes;
    const std::uint16_t* in = samples.data() + y * per_row;
    for (std::size_t i = 0; i < per_row; ++i) {
      GENSWEEP_CHECK(depth == 16 || in[i] < (1u << depth), IoError,
                     "encode_png_samples: sample {} does not fit in {} bits", in[i], depth);
      if (depth == 16) {
        std::memcpy(row + 2 * i, &in[i], 2);  // host-endian, as SPNG_FMT_PNG expects
      } else if (depth == 8) {
        row[i] = static_cast<std::uint8_t>(in[i]);
      } else {
        const std::size_t bit = i * depth;
        row[bit >> 3] |= static_cast<std::uint8_t>(in[i] << (8 - depth - (bit & 7)));
      }
    }
  }
  return encode_raw(layout, raw);
}

}  // namespace gensweep::io
