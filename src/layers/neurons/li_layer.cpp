#include "soma/layers/neurons/li_layer.hpp"

#include "soma/layers/neurons/neuron_config.hpp"

namespace soma {

namespace {

NeuronScanParams li_scan(const LiConfig& k) {
  NeuronScanParams p;
  p.v_reset = k.v_reset;
  p.reset = ResetMode::kNone;
  p.output = NeuronOutput::kMembrane;
  return p;
}

}  // namespace

LiLayer::LiLayer(const LiConfig& config, const Shape& in)
    : NeuronLayer(li_scan(config), in, 1), config_(config) {
  const float r = 1.f / config_.tau;
  set_coeffs(1.f - r, config_.decay_input ? r : 1.f, r * config_.v_reset);
}

std::unique_ptr<Layer> make_li(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "li takes one input");
  LiConfig k;
  k.tau = parse_tau(c, "tau", 2.f);
  k.v_reset = c.get_float("v_reset", 0.f);
  k.decay_input = c.get_bool("decay_input", true);
  return std::make_unique<LiLayer>(k, in[0]);
}

}  // namespace soma
