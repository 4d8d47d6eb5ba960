// PLIF: parametric LIF, a LIF whose time constant is learned: tau = 1 / sigmoid(w).
//
//   r = sigmoid(w) = 1/tau,  h[t] = v[t-1] + r (x[t] - (v[t-1] - v_reset))   (decay_input true)
//                            h[t] = v[t-1] - r (v[t-1] - v_reset) + x[t]     (decay_input false)
//   fire and reset as LIF (surrogate gradient, hard | soft reset), y[t] = s[t].
// Param "w": [1] (shared), or [C] with per_channel: true (C = the first per-step dim: channels of
// [C, H, W], features of [F]); initialised to w = -log(init_tau - 1) so that tau = init_tau; no
// weight decay. tau = 1/sigmoid(w) always lies in (1, inf).
// Backward: dL/dw = dL/dr * sigmoid(w) (1 - sigmoid(w)), with
//   dL/dr = sum_{t, n, spatial} dL/dh[t] (x[t] [decay_input] - (v[t-1] - v_reset)),
// summed in double over T, N and (per channel) the spatial dims, in a fixed order.
// Shapes: x, y [T, N, ...].
// YAML: {type: plif, init_tau: 2.0, per_channel: false, decay_input: true, v_threshold: 1.0,
//        v_reset: 0.0, reset: hard, detach_reset: false, surrogate: {type: atan, alpha: 2.0},
//        spike_fn: heaviside}   (init_tau > 1)
// Source: Fang W. et al., "Incorporating Learnable Membrane Time Constant to Enhance Learning of
// Spiking Neural Networks", ICCV 2021 (SpikingJelly ParametricLIFNode).
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/neurons/neuron_config.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"

namespace soma {

struct PlifConfig {
  NeuronConfig neuron;
  float init_tau = 2.f;
  bool per_channel = false;
  bool decay_input = true;
};

class PlifLayer : public NeuronLayer {
 public:
  PlifLayer(const PlifConfig& config, const Shape& in);
  std::string_view type() const override { return "plif"; }
  bool emits_spikes() const override { return true; }
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  const PlifConfig& config() const { return config_; }

 protected:
  void update_coeffs() override;
  bool learns_coeffs() const override { return true; }
  void add_coeff_grads(const std::vector<double>& ga, const std::vector<double>& gb,
                       const std::vector<double>& gc) override;

 private:
  PlifConfig config_;
  Tensor w_, grad_w_;
  std::vector<double> rate_;  // sigmoid(w) per channel, as of the last forward
};

std::unique_ptr<Layer> make_plif(const ConfigNode& c, const std::vector<Shape>& in);

}  // namespace soma
