// gaussian_noise, shot_noise, impulse_noise and speckle_noise (CORRUPTIONS.md 3.1-3.4): every draw
// from numpy's legacy RandomState, in C order over the H x W x 3 array.

#include "internal.h"

namespace gensweep::io::corruptions {

CorruptionResult noise_corruption(const Image& image, CorruptionName name, int severity,
                                  CorruptionParameters parameters, NumpyRandomState& rng) {
  Array3 x = to_unit(image);
  switch (name) {
    case CorruptionName::kGaussianNoise: {
      static constexpr double kCifar[5] = {0.04, 0.06, 0.08, 0.09, 0.10};
      static constexpr double kImagenet[5] = {0.08, 0.12, 0.18, 0.26, 0.38};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      for (double& v : x.v)
        v = v + rng.normal(0.0, c);
      break;
    }
    case CorruptionName::kShotNoise: {
      static constexpr double kCifar[5] = {500, 250, 100, 75, 50};
      static constexpr double kImagenet[5] = {60, 25, 12, 5, 3};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      for (double& v : x.v)
        v = static_cast<double>(rng.poisson(v * c)) / c;
      break;
    }
    case CorruptionName::kImpulseNoise: {
      // skimage <= 0.18 random_noise(mode='s&p', amount=p): np.random.choice([True, False],
      // p=[p, 1 - p]) for "flipped" over the whole array, then for "salted" with 0.5.
      static constexpr double kCifar[5] = {0.01, 0.02, 0.03, 0.05, 0.07};
      static constexpr double kImagenet[5] = {0.03, 0.06, 0.09, 0.17, 0.27};
      const double p = pick(kCifar, kImagenet, parameters, severity);
      const double flip_cdf = p / (p + (1 - p));  // choice's normalised cdf[0]
      std::vector<bool> flipped(x.v.size());
      for (std::size_t i = 0; i < x.v.size(); ++i)
        flipped[i] = rng.next_double() < flip_cdf;
      for (std::size_t i = 0; i < x.v.size(); ++i) {
        const bool salted = rng.next_double() < 0.5;
        if (flipped[i]) x.v[i] = salted ? 1.0 : 0.0;
      }
      break;
    }
    case CorruptionName::kSpeckleNoise: {
      static constexpr double kCifar[5] = {0.06, 0.10, 0.12, 0.16, 0.20};
      static constexpr double kImagenet[5] = {0.15, 0.20, 0.35, 0.45, 0.60};
      const double c = pick(kCifar, kImagenet, parameters, severity);
      for (double& v : x.v)
        v = v + v * rng.normal(0.0, c);
      break;
    }
    default:
      break;
  }
  return clip01_times_255(x);
}

}  // namespace gensweep::io::corruptions
