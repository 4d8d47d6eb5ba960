#include "soma/layers/neurons/lif_layer.hpp"

namespace soma {

LifLayer::LifLayer(const LifConfig& config, const Shape& in)
    : NeuronLayer(config.neuron.scan_params(), in, 1), config_(config) {
  float a, b, c;
  config_.leak.coeffs(config_.neuron.v_reset, a, b, c);
  set_coeffs(a, b, c);
}

std::unique_ptr<Layer> make_lif(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "lif takes one input");
  LifConfig k;
  k.leak = parse_leak_config(c);
  k.neuron = parse_neuron_config(c);
  return std::make_unique<LifLayer>(k, in[0]);
}

}  // namespace soma
