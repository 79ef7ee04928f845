#pragma once
// gensweep's own deterministic random numbers: the same sequence on every machine, compiler and
// standard library (std::normal_distribution is implementation-defined, so it is never used for
// anything that reaches a result). Used for derived-dataset distortions, random-cnn weights,
// subset sampling and bootstrap resampling.
//
// Generator: SplitMix64 to seed xoshiro256** (Blackman & Vigna). Normals: Box-Muller in double.

#include <array>
#include <cstdint>

namespace gensweep {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  // An independent stream derived from (seed, stream): e.g. (distortion seed, image index).
  Rng(std::uint64_t seed, std::uint64_t stream);

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform integer in [0, n), unbiased (rejection).
  std::uint64_t below(std::uint64_t n);
  // Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal();

 private:
  std::array<std::uint64_t, 4> s_{};
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// SplitMix64 step: a good 64-bit mixer for deriving seeds.
std::uint64_t splitmix64(std::uint64_t& state);

}  // namespace gensweep
