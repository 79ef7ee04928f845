// numpy's legacy RandomState, draw for draw (see numpy_random.h).

#include "gensweep/core/numpy_random.h"

#include <cmath>

#include "gensweep/core/error.h"

namespace gensweep {

NumpyRandomState::NumpyRandomState(std::uint32_t seed) {
  this->seed(seed);
}

void NumpyRandomState::seed(std::uint32_t seed) {
  key_[0] = seed;
  for (std::uint32_t i = 1; i < 624; ++i)
    key_[i] = 1812433253u * (key_[i - 1] ^ (key_[i - 1] >> 30)) + i;
  pos_ = 624;
  has_gauss_ = false;
  gauss_ = 0.0;
}

std::uint32_t NumpyRandomState::next_u32() {
  constexpr int kN = 624, kM = 397;
  constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  if (pos_ == kN) {
    int i = 0;
    for (; i < kN - kM; ++i) {
      const std::uint32_t y = (key_[i] & kUpper) | (key_[i + 1] & kLower);
      key_[i] = key_[i + kM] ^ (y >> 1) ^ (-(y & 1u) & kMatrix);
    }
    for (; i < kN - 1; ++i) {
      const std::uint32_t y = (key_[i] & kUpper) | (key_[i + 1] & kLower);
      key_[i] = key_[i + (kM - kN)] ^ (y >> 1) ^ (-(y & 1u) & kMatrix);
    }
    const std::uint32_t y = (key_[kN - 1] & kUpper) | (key_[0] & kLower);
    key_[kN - 1] = key_[kM - 1] ^ (y >> 1) ^ (-(y & 1u) & kMatrix);
    pos_ = 0;
  }
  std::uint32_t y = key_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double NumpyRandomState::next_double() {
  const std::int32_t a = static_cast<std::int32_t>(next_u32() >> 5);
  const std::int32_t b = static_cast<std::int32_t>(next_u32() >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::gauss() {
  if (has_gauss_) {
    has_gauss_ = false;
    const double cached = gauss_;
    gauss_ = 0.0;
    return cached;
  }
  double x1 = 0, x2 = 0, r2 = 0;
  do {
    x1 = 2.0 * next_double() - 1.0;
    x2 = 2.0 * next_double() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

std::int64_t NumpyRandomState::randint(std::int64_t lo, std::int64_t hi) {
  GENSWEEP_CHECK(hi > lo && hi - lo - 1 <= 0xffffffffLL, ConfigError,
                 "randint: need lo < hi with a 32-bit range, got [{}, {})", lo, hi);
  const std::uint32_t range = static_cast<std::uint32_t>(hi - lo - 1);
  if (range == 0) return lo;
  std::uint32_t mask = range;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  std::uint32_t v = 0;
  while ((v = (next_u32() & mask)) > range) {
  }
  return lo + static_cast<std::int64_t>(v);
}

double numpy_loggam(double x) {
  static constexpr double a[10] = {
      8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
      8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
      1.796443723688307e-01, -1.39243221690590e+00};
  if (x == 1.0 || x == 2.0) return 0.0;
  const long n = x < 7.0 ? static_cast<long>(7 - x) : 0;
  double x0 = x + static_cast<double>(n);
  const double x2 = 1.0 / x0 * 1.0 / x0;
  const double xp = 2 * M_PI;
  double gl0 = a[9];
  for (int k = 8; k >= 0; --k) {
    gl0 *= x2;
    gl0 += a[k];
  }
  double gl = gl0 / x0 + 0.5 * std::log(xp) + (x0 - 0.5) * std::log(x0) - x0;
  if (x < 7.0) {
    for (long k = 1; k <= n; ++k) {
      gl -= std::log(x0 - 1.0);
      x0 -= 1.0;
    }
  }
  return gl;
}

std::int64_t NumpyRandomState::poisson(double lam) {
  GENSWEEP_CHECK(std::isfinite(lam) && lam >= 0, ConfigError,
                 "poisson: lam must be finite and >= 0, got {}", lam);
  if (lam >= 10) {
    // Hörmann's PTRS (numpy legacy random_poisson_ptrs).
    const double slam = std::sqrt(lam);
    const double loglam = std::log(lam);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2);
    while (true) {
      const double U = next_double() - 0.5;
      const double V = next_double();
      const double us = 0.5 - std::fabs(U);
      const std::int64_t k =
          static_cast<std::int64_t>(std::floor((2 * a / us + b) * U + lam + 0.43));
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      // numpy: log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - loggam(k + 1)
      if (std::log(V) + std::log(invalpha) - std::log(a / (us * us) + b) <=
          -lam + static_cast<double>(k) * loglam - numpy_loggam(static_cast<double>(k) + 1))
        return k;
    }
  }
  if (lam == 0) return 0;
  // Multiplication method (numpy random_poisson_mult).
  const double enlam = std::exp(-lam);
  std::int64_t x = 0;
  double prod = 1.0;
  while (true) {
    const double u = next_double();
    prod *= u;
    if (prod > enlam)
      x += 1;
    else
      return x;
  }
}

}  // namespace gensweep
