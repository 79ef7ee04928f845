#pragma once
// Distortions of `derived` datasets: a base dataset's images with one declared, deterministic
// change applied (robustness sweeps: how a metric responds to blur, noise, JPEG, colour shifts).
// Applying them is io's job; these are only the typed, validated parameters.

#include <array>
#include <string_view>
#include <variant>

namespace gensweep::config {

// kind = "gaussian_blur": separable Gaussian blur of each RGB channel.
struct GaussianBlur {
  static constexpr std::string_view kKind = "gaussian_blur";
  double sigma = 0.0;  // required, finite, > 0: standard deviation in pixels
};

// kind = "gaussian_noise": i.i.d. N(0, sigma^2) per pixel and channel, rounded and clamped to
// 0..255. The noise is seeded by the derived dataset's `seed` and the image index, so it does not
// depend on ranks, batches or order.
struct GaussianNoise {
  static constexpr std::string_view kKind = "gaussian_noise";
  double sigma = 0.0;  // required, finite, > 0: standard deviation in 8-bit pixel units
};

// kind = "jpeg": encode as baseline JPEG at this quality and decode again.
struct Jpeg {
  static constexpr std::string_view kKind = "jpeg";
  static constexpr int kMinQuality = 1;
  static constexpr int kMaxQuality = 100;
  int quality = 0;  // required, 1..100 (libjpeg quality scale)
};

// kind = "color_shift": add a constant per channel, clamped to 0..255.
struct ColorShift {
  static constexpr std::string_view kKind = "color_shift";
  static constexpr int kMinShift = -255;
  static constexpr int kMaxShift = 255;
  std::array<int, 3> shift{};  // required: [r, g, b], each -255..255, in 8-bit pixel units
};

using Distortion = std::variant<GaussianBlur, GaussianNoise, Jpeg, ColorShift>;

// The `kind` string of a distortion ("gaussian_blur", ...).
std::string_view distortion_kind(const Distortion& distortion);

}  // namespace gensweep::config
