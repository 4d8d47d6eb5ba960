#include "soma/layers/neurons/if_layer.hpp"

namespace soma {

IfLayer::IfLayer(const IfConfig& config, const Shape& in)
    : NeuronLayer(config.neuron.scan_params(), in, 1), config_(config) {
  set_coeffs(1.f, 1.f, 0.f);
}

std::unique_ptr<Layer> make_if(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "if takes one input");
  IfConfig k;
  k.neuron = parse_neuron_config(c);
  return std::make_unique<IfLayer>(k, in[0]);
}

}  // namespace soma
