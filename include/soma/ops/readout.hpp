// Readouts: reduce a window x [T, M] over time to y [M] (M = N * per-step size).
//   mean_over_time:  y = (1/T) sum_t x_t            grad_x_t = grad_y / T
//   last:            y = x_{T-1}                    grad_x_{T-1} = grad_y, other steps 0
//   max_over_time:   y = max_t x_t                  grad to the argmax step (ties: the first)
#pragma once

#include <cstdint>

namespace soma {

enum class ReadoutMode { kMeanOverTime, kLast, kMaxOverTime };

// argmax (may be null; used by max_over_time) receives the winning step per element.
void readout_forward(ReadoutMode mode, const float* x, int64_t steps, int64_t m, float* y,
                     int32_t* argmax);
// grad_x [T, M] is overwritten.
void readout_backward(ReadoutMode mode, const float* grad_y, const int32_t* argmax,
                      int64_t steps, int64_t m, float* grad_x);

}  // namespace soma
