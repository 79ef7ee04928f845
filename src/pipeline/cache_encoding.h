#pragma once
// Exact text forms of doubles for the caches (result_cache.cpp, reference_cache.cpp): the 16 hex
// digits of the IEEE-754 bit pattern, so NaN payloads, signed zeros and infinities survive.
// Private to the pipeline module.

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gensweep::pipeline::cache_detail {

inline std::string bits_hex(double x) {
  return fmt::format("{:016x}", std::bit_cast<std::uint64_t>(x));
}

inline std::optional<double> from_bits_hex(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t bits = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return std::bit_cast<double>(bits);
}

inline std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace gensweep::pipeline::cache_detail
