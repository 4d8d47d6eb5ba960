// Rng: a small, seeded, serialisable random number generator (xoshiro256**).
//
// Every random decision in soma (initialisation, shuffling, dropout masks, rate coding, data
// augmentation) draws from an Rng that is passed in explicitly; there is no global generator.
// The full state is four 64-bit words, so checkpoints store it and resume bit-exactly.
// Independent streams come from Rng(seed, stream): the same (seed, stream) always gives the
// same sequence, whatever thread or rank draws it, which keeps results thread-count invariant.
#pragma once

#include <array>
#include <cstdint>

namespace soma {

class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Rng(uint64_t seed = 0, uint64_t stream = 0);

  uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits (exact in float32).
  float uniform();
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller on two uniforms; no cached second value, so the state is all).
  float normal();
  // Uniform integer in [0, n), unbiased (Lemire's multiply-shift with rejection).
  uint64_t below(uint64_t n);
  bool bernoulli(float p) { return uniform() < p; }

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_{};
};

}  // namespace soma
