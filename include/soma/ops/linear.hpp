// Fully connected kernel on a folded batch (M = T*N rows).
//
//   forward:   y[M, O] = x[M, I] W^T + b          W [O, I], b [O] (b may be null)
//   backward:  grad_x[M, I]  = grad_y[M, O] W
//              grad_W[O, I] += grad_y^T x          (accumulates)
//              grad_b[O]    += sum_rows grad_y     (accumulates; in double, fixed row order)
// All products go through gemm(), so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace soma {

void linear_forward(const float* x, int64_t m, int64_t in, const float* w, const float* b,
                    int64_t out, float* y);

// grad_x, grad_w, grad_b may each be null (not needed).
void linear_backward(const float* x, const float* grad_y, int64_t m, int64_t in,
                     const float* w, int64_t out, float* grad_x, float* grad_w, float* grad_b);

}  // namespace soma
