#include "soma/layers/neurons/liaf_layer.hpp"

#include <string>

namespace soma {

namespace {

NeuronScanParams liaf_scan(const LiafConfig& k) {
  NeuronScanParams p = k.neuron.scan_params();
  p.output = NeuronOutput::kAnalog;
  p.activation = k.activation;
  p.negative_slope = k.negative_slope;
  p.activation_shift = k.threshold_related ? k.neuron.v_threshold : 0.f;
  return p;
}

}  // namespace

LiafLayer::LiafLayer(const LiafConfig& config, const Shape& in)
    : NeuronLayer(liaf_scan(config), in, 1), config_(config) {
  float a, b, c;
  config_.leak.coeffs(config_.neuron.v_reset, a, b, c);
  set_coeffs(a, b, c);
}

std::unique_ptr<Layer> make_liaf(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "liaf takes one input");
  LiafConfig k;
  k.leak = parse_leak_config(c);
  k.neuron = parse_neuron_config(c, /*default_detach=*/true);
  k.activation = parse_activation(c, "activation", Activation::kRelu);
  k.negative_slope = c.get_float("negative_slope", kLeakyReluDefaultSlope);
  k.threshold_related = c.get_bool("threshold_related", false);
  return std::make_unique<LiafLayer>(k, in[0]);
}

}  // namespace soma
