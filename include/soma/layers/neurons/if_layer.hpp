// IF: integrate-and-fire neuron (no leak), multi-step with surrogate-gradient BPTT.
//
//   h[t] = v[t-1] + x[t]                       v[-1] = v_reset
//   s[t] = H(h[t] - v_threshold)               H(0) = 1; backward uses surrogate'(h - v_threshold)
//   v[t] = h[t] (1 - s[t]) + v_reset s[t]      (reset: hard)  |  h[t] - v_threshold s[t] (soft)
//   y[t] = s[t]
// Shapes: x, y [T, N, ...] (per-step shape any, e.g. [F] or [C, H, W]).
// YAML: {type: if, v_threshold: 1.0, v_reset: 0.0, reset: hard, detach_reset: false,
//        surrogate: {type: atan, alpha: 2.0}, spike_fn: heaviside}  (keys: neuron_config.hpp)
// Source: SpikingJelly IFNode (Fang et al., "SpikingJelly", Science Advances 2023).
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/neurons/neuron_config.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"

namespace soma {

struct IfConfig {
  NeuronConfig neuron;
};

class IfLayer : public NeuronLayer {
 public:
  IfLayer(const IfConfig& config, const Shape& in);
  std::string_view type() const override { return "if"; }
  bool emits_spikes() const override { return true; }
  const IfConfig& config() const { return config_; }

 private:
  IfConfig config_;
};

std::unique_ptr<Layer> make_if(const ConfigNode& c, const std::vector<Shape>& in);

}  // namespace soma
