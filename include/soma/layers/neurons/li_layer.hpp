// LI: non-spiking leaky integrator, for readouts (the membrane is the output).
//
//   v[t] = v[t-1] + (x[t] - (v[t-1] - v_reset)) / tau      (decay_input: true, default)
//   v[t] = v[t-1] - (v[t-1] - v_reset) / tau + x[t]        (decay_input: false)
//   y[t] = v[t];  v[-1] = v_reset.  No threshold, no reset; backward is exact.
// Under constant input x (decay_input true, v_reset 0): v[t] = x (1 - (1 - 1/tau)^(t+1)).
// Shapes: x, y [T, N, ...].
// YAML: {type: li, tau: 2.0, v_reset: 0.0, decay_input: true}  (tau > 1)
// Source: SpikingJelly LIFNode charge without firing (its non-spiking readout use).
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"

namespace soma {

struct LiConfig {
  float tau = 2.f;
  float v_reset = 0.f;
  bool decay_input = true;
};

class LiLayer : public NeuronLayer {
 public:
  LiLayer(const LiConfig& config, const Shape& in);
  std::string_view type() const override { return "li"; }
  const LiConfig& config() const { return config_; }

 private:
  LiConfig config_;
};

std::unique_ptr<Layer> make_li(const ConfigNode& c, const std::vector<Shape>& in);

}  // namespace soma
