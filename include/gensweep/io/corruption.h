#pragma once
// The 19 image corruptions of ImageNet-C / CIFAR-10-C (Hendrycks & Dietterich, ICLR 2019), ported
// from the authors' generation scripts (make_cifar_c.py, make_imagenet_c.py) so that, given the
// same numpy random state, the results equal the reference's bit for bit where docs/CORRUPTIONS.md
// says so. The specification of every step is ../shared/spec/CORRUPTIONS.md; docs/CORRUPTIONS.md
// lists what each port reaches against the goldens.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "gensweep/core/numpy_random.h"
#include "gensweep/io/image.h"

namespace gensweep::io {

// In the order of the paper's table (noise, blur, weather, digital).
enum class CorruptionName {
  kGaussianNoise,
  kShotNoise,
  kImpulseNoise,
  kSpeckleNoise,
  kGaussianBlur,
  kGlassBlur,
  kDefocusBlur,
  kMotionBlur,
  kZoomBlur,
  kFog,
  kFrost,
  kSnow,
  kSpatter,
  kContrast,
  kBrightness,
  kSaturate,
  kJpegCompression,
  kPixelate,
  kElasticTransform,
};
inline constexpr std::array<std::string_view, 19> kCorruptionNames = {"gaussian_noise",
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

std::string_view corruption_name(CorruptionName name);
std::optional<CorruptionName> parse_corruption_name(std::string_view name);

// Which of the two scripts' parameter tables: make_cifar_c.py (meant for 32 x 32 images) or
// make_imagenet_c.py (224 x 224).
enum class CorruptionParameters { kCifar, kImagenet };

// What a corruption returns, on the 0..255 scale, HWC: exactly the reference function's output
// (float64 results as they are, float32 results widened, uint8 results as integers).
struct CorruptionResult {
  int width = 0, height = 0;
  std::vector<double> values;
  // np.uint8(output): truncation toward zero, as make_cifar_c.py stores CIFAR-10-C (every
  // corruption clips to 0..255 first).
  Image to_uint8() const;
};

// Data some corruptions need besides the image.
struct CorruptionData {
  // frost1.png .. frost5.jpg (the repository's data/frost/); empty: default_frost_dir().
  std::filesystem::path frost_dir{};
};

// $GENSWEEP_FROST_DIR if set, else data/frost or share/gensweep/data/frost next to the directory
// holding the gensweep binary (found as configs/ is), else "data/frost".
std::filesystem::path default_frost_dir();

// Applies one corruption at severity 1..5, drawing from `rng` exactly the values, in exactly the
// order, the reference draws from numpy's global RandomState. Throws ConfigError for a severity
// outside 1..5 or a corruption this build does not implement.
CorruptionResult corrupt(const Image& image, CorruptionName name, int severity,
                         CorruptionParameters parameters, NumpyRandomState& rng,
                         const CorruptionData& data = {});

}  // namespace gensweep::io
