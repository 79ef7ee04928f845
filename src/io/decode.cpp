#include "gensweep/io/decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "codecs.h"
#include "gensweep/core/error.h"

namespace gensweep::io {
namespace {

constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::uint8_t kJpegSignature[3] = {0xff, 0xd8, 0xff};

bool starts_with(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// A file shorter than a signature that matches it as far as it goes is a truncated file of that
// format, not an unknown one.
bool is_cut_signature(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> sig) {
  return bytes.size() < sig.size() && std::equal(bytes.begin(), bytes.end(), sig.begin());
}

// Formats that datasets do contain but gensweep does not decode: name them instead of saying
// "not an image".
const char* other_format_name(std::span<const std::uint8_t> b) {
  auto has = [&](std::size_t offset, std::string_view magic) {
    return b.size() >= offset + magic.size() &&
           std::memcmp(b.data() + offset, magic.data(), magic.size()) == 0;
  };
  if (has(0, "GIF87a") || has(0, "GIF89a")) return "GIF";
  if (has(0, "BM")) return "BMP";
  if (has(0, "RIFF") && has(8, "WEBP")) return "WebP";
  if (has(0, "II*\0") || has(0, "MM\0*")) return "TIFF";
  if (has(4, "ftyp")) return "ISO-BMFF (HEIF/AVIF)";
  return nullptr;
}

std::string hex_prefix(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 8); ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 15];
  }
  return text;
}

}  // namespace

namespace detail {

std::string check_pixel_limit(std::int64_t width, std::int64_t height, const DecodeLimits& limits) {
  const std::int64_t pixels = width * height;  // both < 2^31: no overflow
  if (limits.max_pixels > 0 && pixels > limits.max_pixels)
    return fmt::format("declared size {}x{} = {} px exceeds max_pixels {}", width, height, pixels,
                       limits.max_pixels);
  return {};
}

}  // namespace detail

bool decode_image_into(std::span<const std::uint8_t> bytes, const DecodeLimits& limits, Image& out,
                       std::string& reason) {
  if (bytes.empty()) {
    reason = "empty file";
    return false;
  }
  if (starts_with(bytes, kPngSignature)) return detail::decode_png(bytes, limits, out, reason);
  if (starts_with(bytes, kJpegSignature)) return detail::decode_jpeg(bytes, limits, out, reason);
  if (is_cut_signature(bytes, kPngSignature)) {
    reason = fmt::format("truncated PNG: file ends inside the signature ({} bytes)", bytes.size());
    return false;
  }
  if (is_cut_signature(bytes, kJpegSignature)) {
    reason = fmt::format("truncated JPEG: file ends inside the signature ({} bytes)", bytes.size());
    return false;
  }
  if (const char* format = other_format_name(bytes)) {
    reason = fmt::format("unsupported image format {} (only PNG and JPEG are decoded)", format);
    return false;
  }
  reason = fmt::format("not an image (unknown signature {})", hex_prefix(bytes));
  return false;
}

DecodeOutcome decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  DecodeOutcome outcome;
  outcome.ok = decode_image_into(bytes, limits, outcome.image, outcome.reason);
  if (!outcome.ok) outcome.image = Image{};
  return outcome;
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  // POSIX calls rather than iostreams: one fstat, one allocation, few reads; this runs once per
  // image in the extraction loop.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw IoError(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    throw IoError(fmt::format("cannot stat '{}': {}", path.string(), std::strerror(errno)));
  if (S_ISDIR(info.st_mode))
    throw IoError(fmt::format("cannot read '{}': is a directory", path.string()));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(std::max<off_t>(info.st_size, 0)));
  auto read_some = [&](std::uint8_t* into, std::size_t size) -> std::size_t {
    for (;;) {
      const ssize_t n = ::read(fd, into, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR)
        throw IoError(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
    }
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::size_t n = read_some(bytes.data() + done, bytes.size() - done);
    if (n == 0) break;  // the file shrank
    done += n;
  }
  bytes.resize(done);
  // The file may have grown, or st_size may be 0 (special files): read on until EOF.
  std::uint8_t probe[4096];
  while (const std::size_t n = read_some(probe, sizeof probe))
    bytes.insert(bytes.end(), probe, probe + n);
  return bytes;
}

}  // namespace gensweep::io
