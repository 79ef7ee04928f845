#pragma once
// Image decoding (PNG via libspng, JPEG via TurboJPEG) to the RGB8 that PIL's convert('RGB')
// produces. Bad content is an expected outcome in large datasets, so decode_image reports it in a
// value instead of throwing; only I/O on the file itself (read_file_bytes) throws.
//
// Conversions, each chosen to match Pillow (PngImagePlugin / JpegImagePlugin / Convert.c):
// - gray (1, 2, 4, 8 bit): replicated to 3 channels; sub-byte depths scaled to 0..255
//   (v * 255 / (2^depth - 1), Pillow's L;1 / L;2 / L;4 unpackers);
// - alpha (gray+alpha, RGBA) and tRNS: dropped, never composited (convert('RGB') drops them);
// - palette: expanded through PLTE; an index past the palette's end gives black (current
//   Pillow zero-fills the rest of its 256-entry palette; old releases had a gray ramp there);
// - 16-bit RGB, RGBA, gray+alpha: the high byte of each sample (Pillow unpacks them with the
//   "RGB;16B" / "RGBA;16B" / "LA;16B" raw modes, which keep the most significant byte);
// - 16-bit gray: min(v, 255). Pillow opens it as mode "I" / "I;16", and convert('RGB') from those
//   modes clips to 0..255 rather than scaling, so any 16-bit gray value >= 255 becomes white.
//   This is Pillow's (surprising) behaviour and the references inherit it; we match it.
// - JPEG: libjpeg's ISLOW DCT and fancy upsampling (TurboJPEG's and Pillow's defaults); gray
//   replicated; CMYK and YCCK decoded to CMYK and converted as Pillow does: JpegImagePlugin reads
//   every 4-component JPEG as Adobe-inverted CMYK ("CMYK;I", with or without an Adobe marker),
//   then cmyk2rgb gives R = k - round(k * (255 - c) / 255) in stored samples c, k (about c*k/255;
//   stored (R, G, B, 255) decodes to (R, G, B)).
// - EXIF orientation, gamma and ICC profiles are ignored (Image.open does not apply them).
// - Damage Pillow tolerates is tolerated: a missing IEND, a bad CRC on IDAT alone (Pillow skips
//   IDAT CRCs; libspng 0.7 does not check the final one either), libjpeg warnings other than
//   "Premature end of JPEG file". Header chunk CRCs are checked, as Pillow checks them.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "gensweep/io/image.h"

namespace gensweep::io {

struct DecodeLimits {
  // Pillow's decompression-bomb error threshold (2 * Image.MAX_IMAGE_PIXELS). An image with more
  // pixels than this is rejected from its header, before anything is allocated. <= 0: no limit.
  std::int64_t max_pixels = 178956970;
};

struct DecodeOutcome {
  bool ok = false;
  Image image;         // valid when ok
  std::string reason;  // set when !ok, e.g. "truncated PNG: ...", "empty file"
};

// Decodes PNG or JPEG (chosen by signature, not by file name). Never throws for bad content:
// empty, unknown signature, corrupt, truncated or too large all give ok = false with a reason.
DecodeOutcome decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits = {});

// Same, decoding into `out` so a caller's loop reuses one pixel buffer (the vector keeps its
// capacity). Returns true on success; otherwise false with `reason` set and `out` unspecified.
bool decode_image_into(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                       std::string& reason);

// Whole file into memory; throws IoError naming the path when it cannot be opened or read.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);

}  // namespace gensweep::io
