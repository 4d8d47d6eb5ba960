#include "soma/layers/neurons/liaf_layer.hpp"

#include <cmath>
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
    : NeuronLayer(liaf_scan(config), in, config.learn_decay && config.per_channel ? in[0] : 1),
      config_(config),
      rate_(channels_, 0.0) {
  float a, b, c;
  config_.leak.coeffs(config_.neuron.v_reset, a, b, c);
  set_coeffs(a, b, c);
}

std::vector<ParamSpec> LiafLayer::param_specs() const {
  if (!config_.learn_decay) return {};
  const LeakConfig& l = config_.leak;
  // sigmoid(w0) = decay (decay form) or 1/tau (tau form).
  const double w0 = l.use_decay ? std::log(double(l.decay) / (1.0 - double(l.decay)))
                                : -std::log(double(l.tau) - 1.0);
  ParamSpec w;
  w.name = "w";
  w.shape = Shape{channels_};
  w.init = Init::constant(static_cast<float>(w0));
  w.weight_decay = false;
  return {w};
}

void LiafLayer::bind_params(const std::vector<ParamView>& views) {
  if (!config_.learn_decay) {
    SOMA_ASSERT(views.empty(), "liaf without learn_decay has no params");
    return;
  }
  SOMA_ASSERT(views.size() == 1 && views[0].name == "w" && views[0].value.numel() == channels_,
              "liaf expects one param 'w' of ", channels_, " values");
  w_ = views[0].value;
  grad_w_ = views[0].grad;
}

void LiafLayer::update_coeffs() {
  if (!config_.learn_decay) return;
  SOMA_ASSERT(w_.defined(), "liaf layer '", name(), "' used before bind_params");
  const LeakConfig& l = config_.leak;
  const float vr = config_.neuron.v_reset;
  for (int64_t ch = 0; ch < channels_; ++ch) {
    const double r = 1.0 / (1.0 + std::exp(-double(w_[ch])));
    rate_[ch] = r;
    if (l.use_decay) {
      a_[ch] = static_cast<float>(r);
      b_[ch] = 1.f;
      c_[ch] = 0.f;
    } else {
      a_[ch] = static_cast<float>(1.0 - r);
      b_[ch] = l.decay_input ? static_cast<float>(r) : 1.f;
      c_[ch] = static_cast<float>(r * vr);
    }
  }
}

void LiafLayer::add_coeff_grads(const std::vector<double>& ga, const std::vector<double>& gb,
                                const std::vector<double>& gc) {
  const LeakConfig& l = config_.leak;
  const double vr = config_.neuron.v_reset;
  for (int64_t ch = 0; ch < channels_; ++ch) {
    const double dr = l.use_decay ? ga[ch]
                                  : -ga[ch] + (l.decay_input ? gb[ch] : 0.0) + vr * gc[ch];
    const double r = rate_[ch];
    grad_w_[ch] += static_cast<float>(dr * r * (1.0 - r));
  }
}

std::unique_ptr<Layer> make_liaf(const ConfigNode& c, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1, "liaf takes one input");
  LiafConfig k;
  k.leak = parse_leak_config(c);
  k.neuron = parse_neuron_config(c, /*default_detach=*/true);
  k.activation = parse_activation(c, "activation", Activation::kRelu);
  k.negative_slope = c.get_float("negative_slope", kLeakyReluDefaultSlope);
  k.threshold_related = c.get_bool("threshold_related", false);
  k.learn_decay = c.get_bool("learn_decay", false);
  k.per_channel = c.get_bool("per_channel", false);
  if (k.per_channel && !k.learn_decay)
    c.fail_at("per_channel", "applies to learn_decay: true (one learned decay per channel)");
  if (k.learn_decay && k.leak.use_decay)
    c.require(k.leak.decay > 0.f && k.leak.decay < 1.f, "decay",
              "must lie in (0, 1) with learn_decay (decay = sigmoid(w)), got ", k.leak.decay);
  if (k.per_channel)
    SOMA_CHECK_AS(ShapeError, in[0].rank() >= 1 && in[0][0] >= 1, c.where(),
                  ": per_channel needs a per-step shape [C, ...], got ", in[0].str());
  return std::make_unique<LiafLayer>(k, in[0]);
}

}  // namespace soma
