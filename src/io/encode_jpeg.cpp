// JPEG encoding with TurboJPEG: 4:2:0, ISLOW DCT, baseline Huffman tables, as PIL saves by default.

#include <turbojpeg.h>

#include "gensweep/core/error.h"
#include "gensweep/io/encode.h"
#include "tj_handle.h"

namespace gensweep::io {

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  GENSWEEP_CHECK(image.width > 0 && image.height > 0 &&
                     image.rgb.size() == std::size_t(image.width) * image.height * 3,
                 IoError, "encode_jpeg: image {}x{} has {} bytes, expected width*height*3",
                 image.width, image.height, image.rgb.size());
  GENSWEEP_CHECK(quality >= 1 && quality <= 100, IoError,
                 "encode_jpeg: quality must be in 1..100, got {}", quality);
  tjhandle handle = detail::thread_tj(detail::TjRole::kCompress);
  if (!handle) throw IoError("JPEG encoder could not be created (out of memory)");
  unsigned char* buffer = nullptr;  // TurboJPEG allocates it (tjAlloc); freed below
  unsigned long size = 0;
  // TJFLAG_ACCURATEDCT: the ISLOW DCT Pillow uses (TurboJPEG compresses with the fast DCT
  // unless told otherwise); standard Huffman tables (PIL's optimize=False).
  if (tjCompress2(handle, image.rgb.data(), image.width, 0, image.height, TJPF_RGB, &buffer, &size,
                  TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0) {
    const std::string message = tjGetErrorStr2(handle);
    tjFree(buffer);
    detail::discard_thread_tj(detail::TjRole::kCompress);
    throw IoError(fmt::format("JPEG encoding failed: {}", message));
  }
  std::vector<std::uint8_t> jpeg(buffer, buffer + size);
  tjFree(buffer);
  return jpeg;
}

}  // namespace gensweep::io
