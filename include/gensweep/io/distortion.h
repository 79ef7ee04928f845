#pragma once
// Seeded distortions that turn real images into "models" of known, graded quality (the `derived`
// datasets). Deterministic given (distortion, image index) on every machine: randomness comes only
// from gensweep::Rng, and rounding is round-half-to-even everywhere.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gensweep/io/corruption.h"
#include "gensweep/io/image.h"

namespace gensweep::io {

enum class DistortionKind { kGaussianBlur, kGaussianNoise, kJpeg, kColorShift, kCorruption };

struct Distortion {
  DistortionKind kind;
  double sigma = 0;                      // blur: std-dev in pixels; noise: std-dev in 0..255 units
  int quality = 75;                      // jpeg: 1..100
  std::array<double, 3> shift{0, 0, 0};  // color shift: added to R, G, B (0..255 units)
  std::uint64_t seed = 0;  // noise, corruption: with the image index, selects the noise
  // kCorruption: which one, how strong, which parameter table, and how numpy is seeded.
  CorruptionName corruption = CorruptionName::kGaussianNoise;
  int severity = 1;
  CorruptionParameters parameters = CorruptionParameters::kCifar;
  bool reference_seeding = false;
  CorruptionData corruption_data{};
};

// The numpy seed a corruption runs with for image `image_index`: 1000 * severity + image_index
// with reference seeding (the goldens' convention; needs image_index < 2^32 - 5000), otherwise 32
// bits of Rng(seed, image_index), so results depend only on the dataset's seed and the image.
std::uint32_t corruption_seed(const Distortion& d, std::uint64_t image_index);

// Returns an RGB8 image of the same size. Throws ConfigError for invalid parameters (negative or
// non-finite sigma or shift, quality outside 1..100).
// - kGaussianBlur: separable Gaussian, weights exp(-k^2 / (2 sigma^2)) for |k| <= ceil(3 sigma),
//   normalised to sum 1; borders reflect with the edge sample repeated (... b a | a b c ...,
//   scipy.ndimage 'reflect'), folded again when the radius exceeds the image; horizontal pass
//   then vertical, in double; sigma == 0 returns the image unchanged.
// - kGaussianNoise: v + sigma * N(0, 1) per sample in HWC order, N from Rng(seed, image_index).
// - kJpeg: encode_jpeg(image, quality), then decode.
// - kColorShift: v + shift[c].
// - kCorruption: corrupt() with NumpyRandomState(corruption_seed(d, image_index)), stored as
//   np.uint8 (truncated), as CIFAR-10-C is.
// Every other result is rounded half to even and clamped to 0..255.
Image apply_distortion(const Image& image, const Distortion& d, std::uint64_t image_index);

// Canonical text, part of provenance: "gaussian_blur(sigma=1.5)", "gaussian_noise(sigma=8,seed=3)",
// "jpeg(quality=75)", "color_shift(r=10,g=0,b=-5)",
// "corruption(name=motion_blur,severity=3,parameters=cifar,seeding=per-image)". Numbers print in
// their shortest exact form.
std::string describe(const Distortion& d);
// What besides its parameters decides a distortion's pixels, where the code that computes it has
// changed its output: part of a derived dataset's fingerprint, so that stores made by an older
// build become stale instead of being reused with other pixels. "" when nothing has changed.
std::string implementation_tag(const Distortion& d);

// The normalised 1-D blur kernel (2 * ceil(3 sigma) + 1 taps), exposed for tests.
std::vector<double> gaussian_kernel(double sigma);

}  // namespace gensweep::io
