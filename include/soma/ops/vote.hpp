// Voting layer kernel (Wu et al. 2019, STBP CIFARNet): averages consecutive groups of k output
// neurons, x [R, F] -> y [R, F/k],  y[r, j] = (1/k) sum_{i<k} x[r, j*k + i];
// backward: grad_x[r, j*k + i] = grad_y[r, j] / k.
#pragma once

#include <cstdint>

namespace soma {

void vote_forward(const float* x, int64_t rows, int64_t f, int64_t k, float* y);
void vote_backward(const float* grad_y, int64_t rows, int64_t f, int64_t k, float* grad_x);

}  // namespace soma
