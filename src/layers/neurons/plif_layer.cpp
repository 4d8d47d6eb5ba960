#include "soma/layers/neurons/plif_layer.hpp"

#include <cmath>

namespace soma {

PlifLayer::PlifLayer(const PlifConfig& config, const Shape& in)
    : NeuronLayer(config.neuron.scan_params(), in, config.per_channel ? in[0] : 1),
      config_(config),
      rate_(channels_, 0.0) {}

std::vector<ParamSpec> PlifLayer::param_specs() const {
  ParamSpec w;
  w.name = "w";
  w.shape = Shape{channels_};
  w.init = Init::constant(static_cast<float>(-std::log(double(config_.init_tau) - 1.0)));
  w.weight_decay = false;
  return {w};
}

void PlifLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == 1 && views[0].name == "w" && views[0].value.numel() == channels_,
              "plif expects one param 'w' of ", channels_, " values");
  w_ = views[0].value;
  grad_w_ = views[0].grad;
}

void PlifLayer::update_coeffs() {
  SOMA_ASSERT(w_.defined(), "plif layer '", name(), "' used before bind_params");
  const float vr = config_.neuron.v_reset;
  for (int64_t ch = 0; ch < channels_; ++ch) {
    const double r = 1.0 / (1.0 + std::exp(-double(w_[ch])));
    rate_[ch] = r;
    a_[ch] = static_cast<float>(1.0 - r);
    b_[ch] = config_.decay_input ? static_cast<float>(r) : 1.f;
    c_[ch] = static_cast<float>(r * vr);
  }
}

void PlifLayer::add_coeff_grads(const std::vector<double>& ga, const std::vector<double>& gb,
                                const std::vector<double>& gc) {
  // a = 1 - r, b = r (decay_input) or 1, c = r v_reset, so
  // dL/dr = -ga + gb [decay_input] + v_reset gc.
  const double vr = config_.neuron.v_reset;
  for (int64_t ch = 0; ch < channels_; ++ch) {
    const double dr = -ga[ch] + (config_.decay_input ? gb[ch] : 0.0) + vr * gc[ch];
    const double r = rate_[ch];
    grad_w_[ch] += static_cast<float>(dr * r * (1.0 - r));
  }
}

std::unique_ptr<Layer> make_plif(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "plif takes one input");
  PlifConfig k;
  k.neuron = parse_neuron_config(c);
  k.init_tau = parse_tau(c, "init_tau", 2.f);
  k.per_channel = c.get_bool("per_channel", false);
  k.decay_input = c.get_bool("decay_input", true);
  if (k.per_channel)
    SOMA_CHECK_AS(ShapeError, in[0].rank() >= 1 && in[0][0] >= 1, c.where(),
                  ": per_channel needs a per-step shape [C, ...], got ", in[0].str());
  return std::make_unique<PlifLayer>(k, in[0]);
}

}  // namespace soma
