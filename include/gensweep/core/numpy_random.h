#pragma once
// numpy's legacy RandomState (np.random.seed / np.random.normal / ...), ported draw for draw so
// that code written against numpy's global generator (the ImageNet-C / CIFAR-10-C corruption
// scripts) can be reproduced bit for bit. Only used where such compatibility is the point;
// gensweep's own randomness is gensweep::Rng (random.h).
//
// Reference: numpy 1.24 numpy/random/_legacy and src/legacy/legacy-distributions.c,
// src/distributions/distributions.c, src/mt19937/randomkit-style seeding (docs/CORRUPTIONS.md).

#include <array>
#include <cstdint>

namespace gensweep {

class NumpyRandomState {
 public:
  // np.random.seed(seed) with an integer 0 <= seed < 2^32: MT19937 init_genrand(seed), the
  // cached Gaussian cleared.
  explicit NumpyRandomState(std::uint32_t seed = 0);
  void seed(std::uint32_t seed);

  // One raw 32-bit MT19937 output.
  std::uint32_t next_u32();
  // random_sample(): 53-bit double in [0, 1) from two 32-bit outputs (a >> 5, b >> 6).
  double next_double();
  // Legacy standard normal: polar Box-Muller, the second value cached until the next call or seed.
  double gauss();
  // normal(loc, scale): loc + scale * gauss().
  double normal(double loc, double scale) { return loc + scale * gauss(); }
  // uniform(lo, hi): lo + (hi - lo) * next_double().
  double uniform(double lo, double hi) { return lo + (hi - lo) * next_double(); }
  // randint(lo, hi), hi exclusive (hi - lo - 1 must fit 32 bits): masked rejection sampling.
  std::int64_t randint(std::int64_t lo, std::int64_t hi);
  // Legacy poisson(lam), lam >= 0 finite: multiplication method below 10, Hörmann's PTRS above.
  std::int64_t poisson(double lam);
  // choice([True, False], p=[p, 1 - p]) for one element: next_double() < p.
  bool choice_true(double p) { return next_double() < p; }

 private:
  std::array<std::uint32_t, 624> key_{};
  int pos_ = 624;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

// numpy's loggam (log Gamma) as used by the legacy Poisson sampler; exposed for tests.
double numpy_loggam(double x);

}  // namespace gensweep
