#pragma once
// Internal to the io module: the per-format decoders behind decode_image, and helpers they share.

#include <spng.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "gensweep/io/decode.h"

namespace gensweep::io::detail {

// Each returns true with `out` filled, or false with `reason` set. Never throws for bad content.
bool decode_png(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                std::string& reason);
bool decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                 std::string& reason);

// Empty when width x height is allowed; otherwise the reason, e.g. "declared size 30000x30000 =
// 900000000 px exceeds max_pixels 178956970".
std::string check_pixel_limit(std::int64_t width, std::int64_t height, const DecodeLimits& limits);

// An owned libspng context (decoder or encoder).
struct SpngFree {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngCtx = std::unique_ptr<spng_ctx, SpngFree>;

// Buffers above this many bytes are not kept in thread-local scratch storage after a decode, so a
// single huge image does not pin its memory for the life of the thread.
inline constexpr std::size_t kMaxRetainedScratchBytes = std::size_t{64} << 20;

}  // namespace gensweep::io::detail
