// LIF: leaky integrate-and-fire neuron, multi-step with surrogate-gradient BPTT.
//
//   charge  h[t] = v[t-1] + (x[t] - (v[t-1] - v_reset)) / tau     (decay_input: true, default)
//           h[t] = v[t-1] - (v[t-1] - v_reset) / tau + x[t]       (decay_input: false)
//           h[t] = decay * v[t-1] + x[t]                          (STBP form: `decay` given)
//   fire    s[t] = H(h[t] - v_threshold), H(0) = 1; backward: surrogate'(h[t] - v_threshold)
//   reset   hard v[t] = h[t] (1 - s[t]) + v_reset s[t];  soft v[t] = h[t] - v_threshold s[t]
//   output  y[t] = s[t];  v[-1] = v_reset in every window
// With decay, reset hard and v_reset 0 this is STBP's u[t] = k u[t-1] (1 - o[t-1]) + x[t]
// (METHODS.md 1.1), except that STBP fires on u > V_th and soma on h >= v_threshold.
// Shapes: x, y [T, N, ...] (per-step shape any).
// YAML: {type: lif, tau: 2.0 | decay: k, decay_input: true, v_threshold: 1.0, v_reset: 0.0,
//        reset: hard, detach_reset: false, surrogate: {type: atan, alpha: 2.0},
//        spike_fn: heaviside}  (tau > 1; decay in [0, 1]; keys: neuron_config.hpp)
// Sources: SpikingJelly LIFNode; Wu et al., STBP (Front. Neurosci. 2018, AAAI 2019).
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/neurons/neuron_config.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"

namespace soma {

struct LifConfig {
  NeuronConfig neuron;
  LeakConfig leak;
};

class LifLayer : public NeuronLayer {
 public:
  LifLayer(const LifConfig& config, const Shape& in);
  std::string_view type() const override { return "lif"; }
  bool emits_spikes() const override { return true; }
  const LifConfig& config() const { return config_; }

 private:
  LifConfig config_;
};

std::unique_ptr<Layer> make_lif(const ConfigNode& c, const std::vector<Shape>& in);

}  // namespace soma
