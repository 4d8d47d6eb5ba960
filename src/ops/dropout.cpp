#include "soma/ops/dropout.hpp"

namespace soma {

void dropout_mask(Rng& rng, float p, float* mask, int64_t n) {
  const float keep = 1.f / (1.f - p);
  for (int64_t i = 0; i < n; ++i) mask[i] = rng.uniform() >= p ? keep : 0.f;
}

void dropout_apply(const float* in, const float* mask, bool shared_over_time, int64_t steps,
                   int64_t step_size, float* out) {
  const int64_t total = steps * step_size;
  if (!shared_over_time) {
#pragma omp parallel for schedule(static) if (total > (1 << 16))
    for (int64_t i = 0; i < total; ++i) out[i] = in[i] * mask[i];
    return;
  }
#pragma omp parallel for schedule(static) if (total > (1 << 16))
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t i = 0; i < step_size; ++i)
      out[t * step_size + i] = in[t * step_size + i] * mask[i];
}

}  // namespace soma
