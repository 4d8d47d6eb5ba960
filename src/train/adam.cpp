#include "soma/train/adam.hpp"

#include <cmath>

namespace soma {

void Adam::begin_step(float lr) {
  const double k = static_cast<double>(step_);
  const double bc1 = 1.0 - std::pow(static_cast<double>(o_.beta1), k);
  const double bc2 = 1.0 - std::pow(static_cast<double>(o_.beta2), k);
  step_size_ = static_cast<float>(static_cast<double>(lr) / bc1);
  inv_bc2_sqrt_ = static_cast<float>(1.0 / std::sqrt(bc2));
}

void Adam::update_segment(const ParamStore::Segment& s, float* w, const float* g, float lr) {
  const int64_t n = s.size;
  float* m = state_data(0) + s.offset;
  float* v = state_data(1) + s.offset;
  const float wd = s.weight_decay ? o_.weight_decay : 0.f;
  // Exactly one of the two decay forms is active (the other factor is 0 / 1).
  const float l2 = o_.decoupled_weight_decay ? 0.f : wd;
  const float shrink = o_.decoupled_weight_decay ? 1.f - lr * wd : 1.f;
  const float b1 = o_.beta1, b2 = o_.beta2, c1 = 1.f - o_.beta1, c2 = 1.f - o_.beta2;
  const float eps = o_.eps, step_size = step_size_, inv_bc2 = inv_bc2_sqrt_;
#pragma omp parallel for simd schedule(static) if (n >= kOptimizerParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float d = g[i] + l2 * w[i];
    const float mi = b1 * m[i] + c1 * d;
    const float vi = b2 * v[i] + c2 * d * d;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * shrink - step_size * mi / (std::sqrt(vi) * inv_bc2 + eps);
  }
}

}  // namespace soma
