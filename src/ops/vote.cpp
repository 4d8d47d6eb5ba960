#include "soma/ops/vote.hpp"

namespace soma {

void vote_forward(const float* x, int64_t rows, int64_t f, int64_t k, float* y) {
  const int64_t fo = f / k;
  const float inv = 1.f / static_cast<float>(k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < fo; ++j) {
      float s = 0.f;
      for (int64_t i = 0; i < k; ++i) s += x[r * f + j * k + i];
      y[r * fo + j] = s * inv;
    }
}

void vote_backward(const float* grad_y, int64_t rows, int64_t f, int64_t k, float* grad_x) {
  const int64_t fo = f / k;
  const float inv = 1.f / static_cast<float>(k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < fo; ++j)
      for (int64_t i = 0; i < k; ++i) grad_x[r * f + j * k + i] = grad_y[r * fo + j] * inv;
}

}  // namespace soma
