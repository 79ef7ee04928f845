#include "gensweep/core/archive.h"

#include "gensweep/core/error.h"

namespace gensweep {

void ByteReader::copy(void* out, std::size_t size) {
  GENSWEEP_ASSERT(size <= bytes_.size() - pos_, "{}: truncated at byte {} of {} (wanted {} more)",
                  what_, pos_, bytes_.size(), size);
  if (size > 0) std::memcpy(out, bytes_.data() + pos_, size);
  pos_ += size;
}

std::size_t ByteReader::length(std::size_t unit) {
  const auto n = get<std::int64_t>();
  GENSWEEP_ASSERT(n >= 0 && static_cast<std::uint64_t>(n) <= (bytes_.size() - pos_) / unit,
                  "{}: length {} at byte {} exceeds the {} bytes left", what_, n, pos_,
                  bytes_.size() - pos_);
  return static_cast<std::size_t>(n);
}

void ByteReader::expect_end() const {
  GENSWEEP_ASSERT(at_end(), "{}: {} bytes left over after byte {}", what_, bytes_.size() - pos_,
                  pos_);
}

}  // namespace gensweep
