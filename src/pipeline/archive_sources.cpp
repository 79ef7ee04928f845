#include "archive_sources.h"

#include "gensweep/core/sha256.h"

namespace gensweep::pipeline::detail {

std::int64_t member_byte_limit(const io::DecodeLimits& limits) {
  constexpr std::int64_t kNoLimit = std::int64_t{1} << 40;
  constexpr std::int64_t kBytesPerPixel = 8;          // 16-bit RGBA, stored
  constexpr std::int64_t kHeaderAllowance = 1 << 20;  // chunks besides pixel data
  if (limits.max_pixels <= 0 || limits.max_pixels > (kNoLimit - kHeaderAllowance) / kBytesPerPixel)
    return kNoLimit;
  return limits.max_pixels * kBytesPerPixel + kHeaderAllowance;
}

io::DecodeOutcome failed_image(std::string reason) {
  io::DecodeOutcome out;
  out.reason = std::move(reason);
  return out;
}

std::string sha256_of_range(const features::detail::InputFile& file, std::uint64_t offset,
                            std::uint64_t size) {
  Sha256 h;
  std::vector<std::uint8_t> chunk(std::min<std::uint64_t>(size, 1 << 20));
  try {
    for (std::uint64_t done = 0; done < size;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - done));
      file.read_at(offset + done, chunk.data(), n, "the member");
      h.update(chunk.data(), n);
      done += n;
    }
  } catch (const Error&) {
    return "unreadable";  // the extraction records the reason for this image
  }
  return h.hex_digest();
}

std::string ListedSource::fingerprint_from(const std::vector<std::string>& digests) const {
  Sha256 h;
  h.update(fingerprint_tag_);
  h.update("\n");
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    h.update(ids_[i]);
    h.update("\t");
    h.update(digests[i]);
    h.update("\n");
  }
  return h.hex_digest();
}

}  // namespace gensweep::pipeline::detail
