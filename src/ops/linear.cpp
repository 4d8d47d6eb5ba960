#include "soma/ops/linear.hpp"

#include <vector>

#include "soma/ops/gemm.hpp"

namespace soma {

void linear_forward(const float* x, int64_t m, int64_t in, const float* w, const float* b,
                    int64_t out, float* y) {
  if (b) {
    // Pre-fill with the bias and accumulate the product on top (beta = 1).
#pragma omp parallel for schedule(static) if (m * out > (1 << 16))
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < out; ++j) y[i * out + j] = b[j];
    gemm(false, true, m, out, in, 1.f, x, in, w, in, 1.f, y, out);
  } else {
    gemm(false, true, m, out, in, 1.f, x, in, w, in, 0.f, y, out);
  }
}

void linear_backward(const float* x, const float* grad_y, int64_t m, int64_t in,
                     const float* w, int64_t out, float* grad_x, float* grad_w, float* grad_b) {
  if (grad_x) gemm(false, false, m, in, out, 1.f, grad_y, out, w, in, 0.f, grad_x, in);
  if (grad_w) gemm(true, false, out, in, m, 1.f, grad_y, out, x, in, 1.f, grad_w, in);
  if (grad_b) {
    // O(M*O) next to the O(M*O*I) products: serial, rows in order, in double.
    std::vector<double> acc(out, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < out; ++j) acc[j] += grad_y[i * out + j];
    for (int64_t j = 0; j < out; ++j) grad_b[j] += static_cast<float>(acc[j]);
  }
}

}  // namespace soma
