// TEMPORARY stand-in for include/soma/ops/activation.hpp (written by the `kernels` helper on
// branch `kernels`, not committed yet when this was written). It mirrors that header's API
// (enum Activation, activation_forward / activation_grad, array forms) in its own namespace so
// both can coexist in one build; once activation.hpp is on this branch, this file is deleted
// and neuron_scan.hpp aliases soma::Activation instead. Only LIAF's analog fire uses it.
//
//   identity f(x) = x; relu max(x, 0); leaky_relu x or s*x (s = negative_slope, 0.01);
//   selu scale*(x or alpha*(exp(x) - 1)) (Klambauer et al. 2017 constants);
//   sigmoid 1/(1 + exp(-x)); tanh.  Derivatives at the kink x = 0 are the left ones (PyTorch).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace soma::act_stand_in {

enum class Activation { kIdentity, kRelu, kLeakyRelu, kSelu, kSigmoid, kTanh };

inline constexpr float kSeluAlpha = 1.6732632423543772848f;
inline constexpr float kSeluScale = 1.0507009873554804934f;

inline float activation_forward(Activation a, float x, float slope) {
  switch (a) {
    case Activation::kIdentity: return x;
    case Activation::kRelu: return x > 0.f ? x : 0.f;
    case Activation::kLeakyRelu: return x > 0.f ? x : slope * x;
    case Activation::kSelu: return x > 0.f ? kSeluScale * x : kSeluScale * kSeluAlpha * std::expm1(x);
    case Activation::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::kTanh: return std::tanh(x);
  }
  return x;
}

inline float activation_grad(Activation a, float x, float slope) {
  switch (a) {
    case Activation::kIdentity: return 1.f;
    case Activation::kRelu: return x > 0.f ? 1.f : 0.f;
    case Activation::kLeakyRelu: return x > 0.f ? 1.f : slope;
    case Activation::kSelu: return x > 0.f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x);
    case Activation::kSigmoid: {
      const float s = 1.f / (1.f + std::exp(-x));
      return s * (1.f - s);
    }
    case Activation::kTanh: {
      const float t = std::tanh(x);
      return 1.f - t * t;
    }
  }
  return 1.f;
}

// y[i] = f(x[i]); grad_x[i] = grad_y[i] * f'(x[i]).
inline void activation_forward(Activation a, const float* x, float* y, int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) y[i] = activation_forward(a, x[i], slope);
}
inline void activation_backward(Activation a, const float* x, const float* grad_y, float* grad_x,
                                int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) grad_x[i] = grad_y[i] * activation_grad(a, x[i], slope);
}

}  // namespace soma::act_stand_in
