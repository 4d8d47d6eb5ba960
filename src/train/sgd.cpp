#include "soma/train/sgd.hpp"

namespace soma {

void Sgd::update_segment(const ParamStore::Segment& s, float* w, const float* g, float lr) {
  const int64_t n = s.size;
  const float wd = s.weight_decay ? o_.weight_decay : 0.f;
  if (o_.momentum == 0.f) {
#pragma omp parallel for simd schedule(static) if (n >= kOptimizerParallelMin)
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
    return;
  }
  float* buf = state_data(0) + s.offset;
  const float mom = o_.momentum, keep = 1.f - o_.dampening;
  const bool first = step_ == 1;  // PyTorch starts the buffer at d, undamped
  const float nest = o_.nesterov ? mom : 0.f;
  // Nesterov: d + mom * buf; plain: buf. Both are a*d + b*buf with (a, b) = (1, mom) or (0, 1).
  const float a = o_.nesterov ? 1.f : 0.f, b = o_.nesterov ? nest : 1.f;
#pragma omp parallel for simd schedule(static) if (n >= kOptimizerParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    const float bi = first ? d : mom * buf[i] + keep * d;
    buf[i] = bi;
    w[i] -= lr * (a * d + b * bi);
  }
}

}  // namespace soma
