// How conv2d and linear draw their initial weights: YAML keys `weight_init` and `weight_gain`.
//
//   weight_init: torch (default) | kaiming_normal | kaiming_uniform | xavier_uniform
//   weight_gain: g (default 1)    multiplies the standard deviation / bound below
//
//   torch            U(-b, b), b = g / sqrt(fan_in)             PyTorch's default for conv/linear
//                                                                (kaiming_uniform with a = sqrt(5))
//   kaiming_normal   N(0, s^2), s = g * sqrt(2 / fan_in)         He et al. 2015, ReLU gain
//   kaiming_uniform  U(-b, b), b = g * sqrt(6 / fan_in)          same variance as kaiming_normal
//   xavier_uniform   U(-b, b), b = g * sqrt(6 / (fan_in + fan_out))
//
// fan_in = inputs per output (C/groups * kh * kw for a convolution), fan_out = outputs per input.
// Why this is a choice: the default draws weights with variance 1/(3 fan_in), so a layer fed by
// sparse spikes (a few % active) receives inputs far below a threshold of 0.3-1; activity then
// dies layer by layer in deep networks without normalisation (docs/results.md, STBP CNN). He
// initialisation (variance 2/fan_in, 6x larger) keeps a layer's input at the scale of the
// threshold for input densities of a few percent. Biases keep the torch default
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#pragma once

#include <cstdint>

#include "soma/core/config_node.hpp"
#include "soma/layers/param.hpp"

namespace soma {

struct WeightInit {
  enum class Kind { kTorch, kKaimingNormal, kKaimingUniform, kXavierUniform };
  Kind kind = Kind::kTorch;
  float gain = 1.f;

  // The Init of a weight tensor with these fans.
  Init make(int64_t fan_in, int64_t fan_out) const;
};

// Reads `weight_init` and `weight_gain` of a layer's config (both optional).
WeightInit read_weight_init(const ConfigNode& config);

}  // namespace soma
