// Elementwise activation functions and their derivatives (scalar, inline) plus whole-array
// kernels. Used by the activation layers (layers/activation.hpp) and by LIAF's analog fire.
//
//   identity     f(x) = x                                  f'(x) = 1
//   relu         f(x) = max(x, 0)                          f'(x) = [x > 0]
//   leaky_relu   f(x) = x if x > 0 else s*x                f'(x) = 1 if x > 0 else s
//                (s = negative_slope, default 0.01, PyTorch's default)
//   selu         f(x) = scale * (x if x > 0 else alpha*(exp(x) - 1))
//                f'(x) = scale * (1 if x > 0 else alpha*exp(x))
//                alpha = 1.6732632423543772, scale = 1.0507009873554805 (Klambauer et al. 2017,
//                "Self-Normalizing Neural Networks"; the constants PyTorch uses)
//   sigmoid      f(x) = 1 / (1 + exp(-x))                  f'(x) = f(x) (1 - f(x))
//   tanh         f(x) = tanh(x)                            f'(x) = 1 - tanh(x)^2
// At the kinks (x = 0) the derivative is the left one (0 for relu, s for leaky_relu), as in
// PyTorch. Derivatives take the input x, not the output, so callers cache x.
//
// YAML: an activation is a string key, one of
//   identity | relu | leaky_relu | selu | sigmoid | tanh
// read with parse_activation(config, "activation", default).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "soma/core/config_node.hpp"

namespace soma {

enum class Activation { kIdentity, kRelu, kLeakyRelu, kSelu, kSigmoid, kTanh };

inline constexpr float kSeluAlpha = 1.6732632423543772848f;
inline constexpr float kSeluScale = 1.0507009873554804934f;
inline constexpr float kLeakyReluDefaultSlope = 0.01f;

// The YAML spelling of an activation ("leaky_relu").
inline std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kIdentity: return "identity";
    case Activation::kRelu: return "relu";
    case Activation::kLeakyRelu: return "leaky_relu";
    case Activation::kSelu: return "selu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
  }
  return "?";
}

// Parses an activation name; throws ConfigError naming the choices.
inline Activation activation_from_name(std::string_view name) {
  for (Activation a : {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu,
                       Activation::kSelu, Activation::kSigmoid, Activation::kTanh})
    if (activation_name(a) == name) return a;
  throw ConfigError(str_cat("unknown activation '", name,
                            "' (known: identity, relu, leaky_relu, selu, sigmoid, tanh)"));
}

// Reads `key` of a config map (e.g. "activation"), defaulting to `def`.
inline Activation parse_activation(const ConfigNode& config, std::string_view key,
                                   Activation def) {
  const std::string name =
      config.get_choice(key, {"identity", "relu", "leaky_relu", "selu", "sigmoid", "tanh"},
                        activation_name(def));
  return activation_from_name(name);
}

inline float activation_forward(Activation a, float x,
                                float negative_slope = kLeakyReluDefaultSlope) {
  switch (a) {
    case Activation::kIdentity: return x;
    case Activation::kRelu: return x > 0.f ? x : 0.f;
    case Activation::kLeakyRelu: return x > 0.f ? x : negative_slope * x;
    case Activation::kSelu: return x > 0.f ? kSeluScale * x : kSeluScale * kSeluAlpha * std::expm1(x);
    case Activation::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::kTanh: return std::tanh(x);
  }
  return x;
}

// d f / d x at input x.
inline float activation_grad(Activation a, float x,
                             float negative_slope = kLeakyReluDefaultSlope) {
  switch (a) {
    case Activation::kIdentity: return 1.f;
    case Activation::kRelu: return x > 0.f ? 1.f : 0.f;
    case Activation::kLeakyRelu: return x > 0.f ? 1.f : negative_slope;
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

// Whole arrays (the switch sits outside the loop): y[i] = f(x[i]), n elements; y may equal x.
void activation_forward(Activation a, const float* x, float* y, int64_t n,
                        float negative_slope = kLeakyReluDefaultSlope);
// grad_x[i] = grad_y[i] * f'(x[i]); grad_x may equal grad_y.
void activation_backward(Activation a, const float* x, const float* grad_y, float* grad_x,
                         int64_t n, float negative_slope = kLeakyReluDefaultSlope);

}  // namespace soma
