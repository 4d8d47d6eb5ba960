#include "soma/ops/readout.hpp"

#include <algorithm>

namespace soma {

void readout_forward(ReadoutMode mode, const float* x, int64_t steps, int64_t m, float* y,
                     int32_t* argmax) {
  switch (mode) {
    case ReadoutMode::kMeanOverTime: {
      const double inv = 1.0 / double(steps);
      for (int64_t i = 0; i < m; ++i) {
        double s = 0.0;
        for (int64_t t = 0; t < steps; ++t) s += x[t * m + i];
        y[i] = static_cast<float>(s * inv);
      }
      return;
    }
    case ReadoutMode::kLast:
      std::copy(x + (steps - 1) * m, x + steps * m, y);
      return;
    case ReadoutMode::kMaxOverTime:
      for (int64_t i = 0; i < m; ++i) {
        float best = x[i];
        int32_t arg = 0;
        for (int64_t t = 1; t < steps; ++t)
          if (x[t * m + i] > best) {  // strict: ties keep the first step
            best = x[t * m + i];
            arg = static_cast<int32_t>(t);
          }
        y[i] = best;
        if (argmax) argmax[i] = arg;
      }
      return;
  }
}

void readout_backward(ReadoutMode mode, const float* grad_y, const int32_t* argmax,
                      int64_t steps, int64_t m, float* grad_x) {
  switch (mode) {
    case ReadoutMode::kMeanOverTime: {
      const float inv = 1.f / static_cast<float>(steps);
      for (int64_t t = 0; t < steps; ++t)
        for (int64_t i = 0; i < m; ++i) grad_x[t * m + i] = grad_y[i] * inv;
      return;
    }
    case ReadoutMode::kLast:
      std::fill(grad_x, grad_x + (steps - 1) * m, 0.f);
      std::copy(grad_y, grad_y + m, grad_x + (steps - 1) * m);
      return;
    case ReadoutMode::kMaxOverTime:
      std::fill(grad_x, grad_x + steps * m, 0.f);
      for (int64_t i = 0; i < m; ++i) grad_x[argmax[i] * m + i] = grad_y[i];
      return;
  }
}

}  // namespace soma
