// LIAF: leaky integrate and analog fire. LIF dynamics (leak, threshold, reset) but the output is
// an analog activation of the membrane; the spike only drives the reset.
//
//   charge  as LIF: h[t] = v[t-1] + (x[t] - (v[t-1] - v_reset)) / tau  (decay_input true),
//           h[t] = v[t-1] - (v[t-1] - v_reset) / tau + x[t] (false), or h[t] = decay v[t-1] + x[t]
//   spike   s[t] = H(h[t] - v_threshold), H(0) = 1 (drives the reset only)
//   reset   hard v[t] = h[t] (1 - s[t]) + v_reset s[t];  soft v[t] = h[t] - v_threshold s[t]
//   output  y[t] = act(h[t])   or   act(h[t] - v_threshold) with threshold_related: true
// Backward: act' is exact; the gradient through the reset uses the surrogate unless
// detach_reset (default true here, as in the LIAF code: (1 - spike.detach())).
// Learnable decay (learn_decay: true; the LIAF code's `decay` parameter): param "w" ([1], or [C]
// with per_channel: true), no weight decay, and
//   decay form:  a = sigmoid(w) (the membrane's leak), b = 1, c = 0; w starts at logit(decay),
//                so decay must lie in (0, 1) (the code starts w at 0.5: decay = sigmoid(0.5))
//   tau form:    r = sigmoid(w) = 1/tau as in PLIF; w starts at -log(tau - 1)
//   dL/dw = dL/da sigmoid'(w) (decay form), (-dL/da + dL/db [decay_input] + v_reset dL/dc)
//           sigmoid'(w) (tau form), summed in double over T, N and the channel's elements.
// Per-step BN of the synaptic input (the LIAF code's BN per time step) is a separate layer
// (`bntt`) before this one, or the conv_liaf / dense_liaf blocks with `norm: bntt`.
// Shapes: x, y [T, N, ...].
// YAML: {type: liaf, tau: 2.0 | decay: k, decay_input: true, learn_decay: false,
//        per_channel: false, activation: relu, negative_slope: 0.01, threshold_related: false,
//        v_threshold: 1.0, v_reset: 0.0, reset: hard, detach_reset: true,
//        surrogate: {type: atan, alpha: 2.0}, spike_fn: heaviside}
//   activation: relu | leaky_relu | selu | sigmoid | tanh | identity; negative_slope is
//   leaky_relu's slope for x < 0.
// Source: Wu Z. et al., "LIAF-Net", IEEE TNNLS 2021 (arXiv 2011.06176), METHODS.md section 3.
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/neurons/neuron_config.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"

namespace soma {

struct LiafConfig {
  NeuronConfig neuron;  // detach_reset defaults to true
  LeakConfig leak;
  Activation activation = Activation::kRelu;
  float negative_slope = kLeakyReluDefaultSlope;
  bool threshold_related = false;
  bool learn_decay = false;
  bool per_channel = false;  // learn_decay: one w per channel
};

class LiafLayer : public NeuronLayer {
 public:
  LiafLayer(const LiafConfig& config, const Shape& in);
  std::string_view type() const override { return "liaf"; }
  const LiafConfig& config() const { return config_; }
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;

 protected:
  void update_coeffs() override;
  bool learns_coeffs() const override { return config_.learn_decay; }
  void add_coeff_grads(const std::vector<double>& ga, const std::vector<double>& gb,
                       const std::vector<double>& gc) override;

 private:
  LiafConfig config_;
  Tensor w_, grad_w_;
  std::vector<double> rate_;  // sigmoid(w) per channel, as of the last forward
};

std::unique_ptr<Layer> make_liaf(const ConfigNode& c, const std::vector<Shape>& in);

}  // namespace soma
