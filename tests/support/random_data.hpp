// Reproducible random test data.
#pragma once

#include <cstdint>
#include <vector>

#include "soma/core/rng.hpp"

namespace soma::testing {

// n values uniform in [-1, 1) from soma's Rng seeded with `seed`.
inline std::vector<float> rand_vec(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-1.f, 1.f);
  return v;
}

}  // namespace soma::testing
