#include "soma/layers/neurons/neuron_config.hpp"

#include <cmath>

namespace soma {

NeuronScanParams NeuronConfig::scan_params() const {
  NeuronScanParams p;
  p.v_threshold = v_threshold;
  p.v_reset = v_reset;
  p.reset = reset;
  p.detach_reset = detach_reset;
  p.surrogate = surrogate;
  p.spike_primitive = spike_primitive;
  p.output = NeuronOutput::kSpike;
  return p;
}

void LeakConfig::coeffs(float v_reset, float& a, float& b, float& c) const {
  if (use_decay) {
    a = decay;
    b = 1.f;
    c = 0.f;
    return;
  }
  const float r = 1.f / tau;
  a = 1.f - r;
  b = decay_input ? r : 1.f;
  c = r * v_reset;
}

NeuronConfig parse_neuron_config(const ConfigNode& c, bool default_detach) {
  NeuronConfig k;
  k.v_threshold = c.get_float("v_threshold", 1.f);
  k.v_reset = c.get_float("v_reset", 0.f);
  c.require(std::isfinite(k.v_threshold) && std::isfinite(k.v_reset), "v_threshold",
            "v_threshold and v_reset must be finite");
  c.require(k.v_threshold > k.v_reset, "v_threshold", "must be > v_reset (", k.v_reset,
            "), else a neuron that was just reset fires again at once; got ", k.v_threshold);
  k.reset = c.get_choice("reset", {"hard", "soft"}, "hard") == "hard" ? ResetMode::kHard
                                                                      : ResetMode::kSoft;
  k.detach_reset = c.get_bool("detach_reset", default_detach);
  k.surrogate = Surrogate::parse(c, "surrogate");
  k.spike_primitive =
      c.get_choice("spike_fn", {"heaviside", "primitive"}, "heaviside") == "primitive";
  return k;
}

float parse_tau(const ConfigNode& c, std::string_view key, float def) {
  const float tau = c.get_float(key, def);
  c.require(std::isfinite(tau) && tau > 1.f, key,
            "must be > 1 (the leak factor 1 - 1/tau must lie in (0, 1): tau = 1 forgets the "
            "membrane every step, tau < 1 flips its sign each step), got ",
            tau);
  return tau;
}

LeakConfig parse_leak_config(const ConfigNode& c) {
  LeakConfig k;
  const bool has_tau = c.has("tau"), has_decay = c.has("decay");
  if (has_tau && has_decay)
    c.fail_at("decay",
              "give either tau (h = v + (x - (v - v_reset)) / tau) or decay (STBP form "
              "h = decay * v + x), not both");
  if (has_decay) {
    k.use_decay = true;
    k.decay = c.get_float("decay");
    c.require(k.decay >= 0.f && k.decay <= 1.f, "decay",
              "must be in [0, 1] (the membrane's multiplicative leak per step), got ", k.decay);
    if (c.has("decay_input"))
      c.fail_at("decay_input",
                "applies to the tau form only (the decay form is h = decay * v + x)");
    return k;
  }
  k.tau = parse_tau(c, "tau", 2.f);
  k.decay_input = c.get_bool("decay_input", true);
  return k;
}

}  // namespace soma
