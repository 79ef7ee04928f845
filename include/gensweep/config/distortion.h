#pragma once
// Distortions of `derived` datasets: a base dataset's images with one declared, deterministic
// change applied (robustness sweeps: how a metric responds to blur, noise, JPEG, colour shifts).
// Applying them is io's job; these are only the typed, validated parameters.

#include <array>
#include <string>
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

// kind = "corruption": one of the 19 corruptions of ImageNet-C / CIFAR-10-C (Hendrycks &
// Dietterich), as the authors' scripts compute them (docs/CORRUPTIONS.md).
struct Corruption {
  static constexpr std::string_view kKind = "corruption";
  // In the paper's order; the same list as io::kCorruptionNames.
  static constexpr std::array<std::string_view, 19> kNames = {"gaussian_noise",
                                                              "shot_noise",
                                                              "impulse_noise",
                                                              "speckle_noise",
                                                              "gaussian_blur",
                                                              "glass_blur",
                                                              "defocus_blur",
                                                              "motion_blur",
                                                              "zoom_blur",
                                                              "fog",
                                                              "frost",
                                                              "snow",
                                                              "spatter",
                                                              "contrast",
                                                              "brightness",
                                                              "saturate",
                                                              "jpeg_compression",
                                                              "pixelate",
                                                              "elastic_transform"};
  // Which script's parameter table: make_cifar_c.py (32 x 32) or make_imagenet_c.py (224 x 224).
  static constexpr std::array<std::string_view, 2> kParameterSets = {"cifar", "imagenet"};
  // "per-image": numpy's generator seeded per image from the dataset's `seed` and the image's
  // index; "reference": np.random.seed(1000 * severity + index), the convention of the goldens.
  static constexpr std::array<std::string_view, 2> kSeedings = {"per-image", "reference"};
  enum class Parameters { kCifar, kImagenet };
  enum class Seeding { kPerImage, kReference };

  std::string name;                            // required, one of kNames
  int severity = 0;                            // required, 1..5
  Parameters parameters = Parameters::kCifar;  // required
  Seeding seeding = Seeding::kPerImage;
};

using Distortion = std::variant<GaussianBlur, GaussianNoise, Jpeg, ColorShift, Corruption>;

// The `kind` string of a distortion ("gaussian_blur", ...).
std::string_view distortion_kind(const Distortion& distortion);

}  // namespace gensweep::config
