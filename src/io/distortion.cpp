// Seeded distortions for derived datasets (see distortion.h for the exact definitions).

#include "gensweep/io/distortion.h"

#include <algorithm>
#include <cmath>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/io/decode.h"
#include "gensweep/io/encode.h"

namespace gensweep::io {
namespace {

// Round half to even (std::nearbyint in the default rounding mode) and clamp to 0..255.
inline std::uint8_t to_u8(double v) {
  return static_cast<std::uint8_t>(std::clamp(std::nearbyint(v), 0.0, 255.0));
}

// Half-sample symmetric reflection (... b a | a b c ...), periodic with period 2n so radii larger
// than the image fold back as many times as needed.
int reflect(int i, int n) {
  const int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

Image blur(const Image& image, double sigma) {
  if (sigma == 0) return image;
  const std::vector<double> kernel = gaussian_kernel(sigma);
  const int radius = static_cast<int>(kernel.size() / 2);
  const int w = image.width, h = image.height;
  // Source index per tap position, for positions -radius .. n - 1 + radius.
  auto index_table = [radius](int n) {
    std::vector<int> table(n + 2 * radius);
    for (int i = 0; i < n + 2 * radius; ++i)
      table[i] = reflect(i - radius, n);
    return table;
  };
  const std::vector<int> xs = index_table(w), ys = index_table(h);

  std::vector<double> horizontal(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = image.rgb.data() + static_cast<std::size_t>(y) * w * 3;
    double* out = horizontal.data() + static_cast<std::size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (std::size_t k = 0; k < kernel.size(); ++k)
          sum += kernel[k] * row[xs[x + k] * 3 + c];
        out[x * 3 + c] = sum;
      }
  }
  Image result{w, h, std::vector<std::uint8_t>(image.rgb.size())};
  const std::size_t stride = static_cast<std::size_t>(w) * 3;
  for (int y = 0; y < h; ++y)
    for (std::size_t i = 0; i < stride; ++i) {
      double sum = 0;
      for (std::size_t k = 0; k < kernel.size(); ++k)
        sum += kernel[k] * horizontal[ys[y + k] * stride + i];
      result.rgb[y * stride + i] = to_u8(sum);
    }
  return result;
}

void check_parameters(const Distortion& d) {
  switch (d.kind) {
    case DistortionKind::kGaussianBlur:
    case DistortionKind::kGaussianNoise:
      GENSWEEP_CHECK(std::isfinite(d.sigma) && d.sigma >= 0, ConfigError,
                     "{}: sigma must be finite and >= 0, got {}", describe(d), d.sigma);
      break;
    case DistortionKind::kJpeg:
      GENSWEEP_CHECK(d.quality >= 1 && d.quality <= 100, ConfigError,
                     "{}: quality must be in 1..100, got {}", describe(d), d.quality);
      break;
    case DistortionKind::kColorShift:
      for (double s : d.shift)
        GENSWEEP_CHECK(std::isfinite(s), ConfigError, "{}: shift must be finite", describe(d));
      break;
    case DistortionKind::kCorruption:
      GENSWEEP_CHECK(d.severity >= 1 && d.severity <= 5, ConfigError,
                     "{}: severity must be in 1..5", describe(d));
      break;
  }
}

}  // namespace

std::uint32_t corruption_seed(const Distortion& d, std::uint64_t image_index) {
  if (d.reference_seeding) {
    const std::uint64_t s = 1000 * static_cast<std::uint64_t>(d.severity) + image_index;
    GENSWEEP_CHECK(s <= 0xffffffffULL, ConfigError,
                   "{}: reference seeding needs image indices below 2^32 - 5000, got {}",
                   describe(d), image_index);
    return static_cast<std::uint32_t>(s);
  }
  Rng rng(d.seed, image_index);
  return static_cast<std::uint32_t>(rng.next_u64() >> 32);
}

std::vector<double> gaussian_kernel(double sigma) {
  GENSWEEP_CHECK(std::isfinite(sigma) && sigma >= 0, ConfigError,
                 "gaussian_kernel: sigma must be finite and >= 0, got {}", sigma);
  if (sigma == 0) return {1.0};
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> kernel(2 * radius + 1);
  double total = 0;
  for (int k = -radius; k <= radius; ++k) {
    kernel[k + radius] = std::exp(-(static_cast<double>(k) * k) / (2 * sigma * sigma));
    total += kernel[k + radius];
  }
  for (double& v : kernel)
    v /= total;
  return kernel;
}

Image apply_distortion(const Image& image, const Distortion& d, std::uint64_t image_index) {
  GENSWEEP_ASSERT(image.width >= 0 && image.height >= 0 &&
                      image.rgb.size() == std::size_t(image.width) * image.height * 3,
                  "image {}x{} has {} bytes", image.width, image.height, image.rgb.size());
  check_parameters(d);
  switch (d.kind) {
    case DistortionKind::kGaussianBlur:
      return blur(image, d.sigma);
    case DistortionKind::kGaussianNoise: {
      Rng rng(d.seed, image_index);
      Image out{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size())};
      for (std::size_t i = 0; i < image.rgb.size(); ++i)
        out.rgb[i] = to_u8(image.rgb[i] + d.sigma * rng.normal());
      return out;
    }
    case DistortionKind::kJpeg: {
      DecodeOutcome decoded = decode_image(encode_jpeg(image, d.quality));
      GENSWEEP_ASSERT(decoded.ok, "decoding our own JPEG failed: {}", decoded.reason);
      return std::move(decoded.image);
    }
    case DistortionKind::kColorShift: {
      Image out{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size())};
      for (std::size_t i = 0; i < image.rgb.size(); ++i)
        out.rgb[i] = to_u8(image.rgb[i] + d.shift[i % 3]);
      return out;
    }
    case DistortionKind::kCorruption: {
      NumpyRandomState rng(corruption_seed(d, image_index));
      return corrupt(image, d.corruption, d.severity, d.parameters, rng, d.corruption_data)
          .to_uint8();
    }
  }
  GENSWEEP_ASSERT(false, "unknown distortion kind {}", static_cast<int>(d.kind));
  return {};
}

std::string implementation_tag(const Distortion& d) {
  // Since 2026-12 JPEGs are compressed with libjpeg's accurate integer DCT, as Pillow saves them
  // (TurboJPEG's default fast DCT gave other pixels).
  if (d.kind == DistortionKind::kJpeg) return "encoder=libjpeg-turbo islow";
  return {};
}

std::string describe(const Distortion& d) {
  // fmt's "{}" prints a double in its shortest round-trip form: 1.5, 8, 0.1, -5.
  switch (d.kind) {
    case DistortionKind::kGaussianBlur:
      return fmt::format("gaussian_blur(sigma={})", d.sigma);
    case DistortionKind::kGaussianNoise:
      return fmt::format("gaussian_noise(sigma={},seed={})", d.sigma, d.seed);
    case DistortionKind::kJpeg:
      return fmt::format("jpeg(quality={})", d.quality);
    case DistortionKind::kColorShift:
      return fmt::format("color_shift(r={},g={},b={})", d.shift[0], d.shift[1], d.shift[2]);
    case DistortionKind::kCorruption:
      return fmt::format("corruption(name={},severity={},parameters={},seeding={})",
                         corruption_name(d.corruption), d.severity,
                         d.parameters == CorruptionParameters::kCifar ? "cifar" : "imagenet",
                         d.reference_seeding ? "reference" : "per-image");
  }
  return fmt::format("unknown_distortion({})", static_cast<int>(d.kind));
}

}  // namespace gensweep::io
