// YAML keys shared by the neuron layers (if, lif, plif, liaf; li reads only its own few).
//
// Spiking keys (NeuronConfig), defaults in brackets:
//   v_threshold [1.0]     firing threshold; must be > v_reset (else a reset neuron refires)
//   v_reset [0.0]         membrane after a hard reset, and v[-1] at the start of every window
//   reset [hard]          hard: v = h (1 - s) + v_reset s;  soft: v = h - v_threshold s
//   detach_reset [false]  stop the gradient through s in the reset (liaf: [true])
//   surrogate [{type: atan, alpha: 2.0}]   see ops/surrogate.hpp for types and parameters
//   spike_fn [heaviside]  heaviside: s = H(h - v_threshold), H(0) = 1;  primitive: s =
//                         surrogate.primitive(h - v_threshold) (smooth, for gradient checks)
// Leak keys (LeakConfig; lif, liaf), exactly one of tau / decay:
//   tau [2.0]             h = v + (x - (v - v_reset)) / tau  (decay_input true)
//                         h = v - (v - v_reset) / tau + x    (decay_input false)
//                         must be > 1: the leak factor 1 - 1/tau must lie in (0, 1); tau = 1
//                         forgets everything each step, tau < 1 flips the sign of v each step
//                         (and diverges for tau < 1/2), tau <= 0 is meaningless. SpikingJelly
//                         asserts the same.
//   decay_input [true]    tau form only
//   decay                 STBP form h = decay * v + x (Wu et al. 2018/2019), decay in [0, 1];
//                         with reset hard and v_reset 0 this is u[t] = k u[t-1] (1 - o[t-1]) + x[t]
// Source: SpikingJelly neuron.py (BaseNode / LIFNode conventions); STBP, METHODS.md 1.1.
#pragma once

#include "soma/core/config_node.hpp"
#include "soma/ops/neuron_scan.hpp"

namespace soma {

struct NeuronConfig {
  float v_threshold = 1.f;
  float v_reset = 0.f;
  ResetMode reset = ResetMode::kHard;
  bool detach_reset = false;
  Surrogate surrogate;
  bool spike_primitive = false;

  // The scan parameters for a spiking output (layers adjust output/activation afterwards).
  NeuronScanParams scan_params() const;
};

struct LeakConfig {
  bool use_decay = false;  // true: STBP form with `decay`
  float tau = 2.f;
  float decay = 0.f;
  bool decay_input = true;

  // h = a v + b x + c for this leak and v_reset.
  void coeffs(float v_reset, float& a, float& b, float& c) const;
};

// Reads and validates the spiking keys; `default_detach` is the type's detach_reset default.
NeuronConfig parse_neuron_config(const ConfigNode& c, bool default_detach = false);
// Reads tau | decay and decay_input; both tau and decay given is a ConfigError.
LeakConfig parse_leak_config(const ConfigNode& c);
// Reads tau (> 1) under `key` with a default.
float parse_tau(const ConfigNode& c, std::string_view key, float def);

}  // namespace soma
