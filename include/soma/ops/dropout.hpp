// Inverted dropout: y = x * m,  m = 1/(1-p) with probability 1-p, else 0 (so E[y] = x).
// The mask is drawn once per window: per element of [T, N, E] or, shared over time (the usual
// practice for SNNs, e.g. Lee et al. 2020), one per element of [N, E] reused at every step.
// Backward multiplies grad_y by the same mask.
#pragma once

#include <cstdint>

#include "soma/core/rng.hpp"

namespace soma {

// mask[i] = (u_i >= p) / (1 - p), u_i drawn in order from rng (so the mask depends only on the
// rng state, never on threads). 0 <= p < 1.
void dropout_mask(Rng& rng, float p, float* mask, int64_t n);

// out[t, i] = in[t, i] * mask[i] for t < steps, i < step_size (mask is [step_size] when shared
// over time, otherwise [steps * step_size] and applied elementwise). in may equal out.
void dropout_apply(const float* in, const float* mask, bool shared_over_time, int64_t steps,
                   int64_t step_size, float* out);

}  // namespace soma
