// JPEG decoding with TurboJPEG, with Pillow's choices: ISLOW DCT and fancy upsampling (the
// defaults of both), gray replicated to RGB by libjpeg, CMYK / YCCK through CMYK and Pillow's
// Adobe-inverted conversion. libjpeg warnings are accepted as Pillow accepts them, except the one
// that means the data ran out: Pillow refuses truncated files unless LOAD_TRUNCATED_IMAGES is set.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "codecs.h"
#include "tj_handle.h"

namespace gensweep::io::detail {
namespace {

// libjpeg's JWRN_JPEG_EOF text: it fills the missing part with gray and carries on.
constexpr std::string_view kPrematureEnd = "Premature end of JPEG file";

bool ends_with_eoi(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[bytes.size() - 2] == 0xff && bytes[bytes.size() - 1] == 0xd9;
}

// "truncated JPEG: ...", "unsupported JPEG: ..." (valid files libjpeg-turbo cannot decode: 12-bit
// or lossless JPEG, sampling factors TurboJPEG 2 does not classify) or "corrupt JPEG: ...".
std::string failure_reason(tjhandle handle, std::span<const std::uint8_t> bytes) {
  const std::string message = tjGetErrorStr2(handle);
  const char* kind = "corrupt";
  if (message.find(kPrematureEnd) != std::string::npos || !ends_with_eoi(bytes))
    kind = "truncated";
  else if (message.find("Unsupported") != std::string::npos ||
           message.find("Could not determine subsampling") != std::string::npos)
    kind = "unsupported";
  return fmt::format("{} JPEG: {}", kind, message);
}

// Pillow's cmyk2rgb on "CMYK;I" (inverted) samples, written in terms of the stored samples s:
// Pillow's C = 255 - s_c, K = 255 - s_k, nk = 255 - K = s_k, R = nk - MULDIV255(C, nk), where
// MULDIV255(a, b) = (t + (t >> 8)) >> 8 with t = a * b + 128 (a rounded a * b / 255).
inline std::uint8_t cmyk_channel(unsigned stored_c, unsigned stored_k) {
  const unsigned c = 255u - stored_c;
  const unsigned t = c * stored_k + 128u;
  const unsigned product = (t + (t >> 8)) >> 8;
  return static_cast<std::uint8_t>(stored_k - product);  // product <= stored_k: no underflow
}

}  // namespace

bool decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                 std::string& reason) {
  tjhandle handle = thread_tj(TjRole::kDecompress);
  if (!handle) {
    reason = "JPEG decoder could not be created (out of memory)";
    return false;
  }
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  auto* data = const_cast<unsigned char*>(bytes.data());  // TurboJPEG 2 API lacks const
  if (tjDecompressHeader3(handle, data, bytes.size(), &width, &height, &subsampling, &colorspace) !=
      0) {
    reason = failure_reason(handle, bytes);
    discard_thread_tj(TjRole::kDecompress);
    return false;
  }
  reason = check_pixel_limit(width, height, limits);
  if (!reason.empty()) return false;

  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  out.width = width;
  out.height = height;
  out.rgb.resize(pixels * 3);

  thread_local std::vector<std::uint8_t> scratch;
  std::vector<std::uint8_t> large;
  std::vector<std::uint8_t>& cmyk_buffer = pixels * 4 > kMaxRetainedScratchBytes ? large : scratch;
  if (cmyk) cmyk_buffer.resize(pixels * 4);
  unsigned char* target = cmyk ? cmyk_buffer.data() : out.rgb.data();
  // flags 0: accurate (ISLOW) DCT and fancy upsampling, as Pillow decodes.
  if (tjDecompress2(handle, data, bytes.size(), target, width, 0, height,
                    cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0) {
    const bool warning_only = tjGetErrorCode(handle) == TJERR_WARNING;
    const bool truncated =
        std::string_view(tjGetErrorStr2(handle)).find(kPrematureEnd) != std::string_view::npos;
    if (!warning_only || truncated) {
      reason = failure_reason(handle, bytes);
      discard_thread_tj(TjRole::kDecompress);
      return false;
    }
    // Other warnings ("extraneous bytes before marker", ...): the image is complete, Pillow
    // loads it too.
  }
  if (cmyk) {
    const std::uint8_t* in = cmyk_buffer.data();
    std::uint8_t* rgb = out.rgb.data();
    for (std::size_t i = 0; i < pixels; ++i, in += 4, rgb += 3) {
      rgb[0] = cmyk_channel(in[0], in[3]);
      rgb[1] = cmyk_channel(in[1], in[3]);
      rgb[2] = cmyk_channel(in[2], in[3]);
    }
  }
  return true;
}

}  // namespace gensweep::io::detail
