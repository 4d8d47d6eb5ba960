// Helpers for the neuron layer tests: building from YAML, and an independent reference for
// the BPTT gradient (forward-mode dual numbers over the step equations, in double).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer_registry.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"
#include "soma/ops/neuron_scan.hpp"

namespace soma::testing {

// Builds a layer of the config's `type` through the built-in registry (strict keys).
inline std::unique_ptr<Layer> build_layer(const std::string& yaml, const Shape& in) {
  ConfigNode c = ConfigNode::parse(yaml, "test.yaml");
  const std::string type = c.get_string("type");
  auto layer = LayerRegistry::builtin().make(type, c, {in});
  c.ensure_all_used();
  layer->set_name("n");
  return layer;
}

inline NeuronLayer& as_neuron(Layer& l) { return dynamic_cast<NeuronLayer&>(l); }

struct Dual {
  double v = 0.0, d = 0.0;
};
inline Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
inline Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
inline Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
inline Dual operator*(double k, Dual a) { return {k * a.v, k * a.d}; }

// dL/dx[j] for L = sum r * y by forward-mode differentiation of the step equations of
// ops/neuron_scan.hpp: the spike's derivative is defined as surrogate'(z), and detach_reset
// uses the spike's value without its derivative in the reset. x, r: [T, N, C, S] row-major.
inline double reference_grad_x(const NeuronLayer& layer, const Tensor& x, const Tensor& r,
                               int64_t j) {
  const NeuronScanParams& p = layer.scan_params();
  const int64_t T = x.dim(0), E = x.numel() / T;
  const int64_t e = j % E;
  const int64_t C = int64_t(layer.coeff_a().size());
  const int64_t S = E / x.dim(1) / C;
  const int64_t ch = (e / S) % C;
  const double a = layer.coeff_a()[ch], b = layer.coeff_b()[ch], c = layer.coeff_c()[ch];
  const double th = p.v_threshold, vr = p.v_reset;
  Dual v{vr, 0.0};
  double dl = 0.0;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t idx = t * E + e;
    const Dual xt{x[idx], idx == j ? 1.0 : 0.0};
    const Dual h = a * v + b * xt + Dual{c, 0.0};
    if (p.output == NeuronOutput::kMembrane) {
      dl += r[idx] * h.d;
      v = h;
      continue;
    }
    const float z = static_cast<float>(h.v - th);
    const double sv = p.spike_primitive ? p.surrogate.primitive(z) : (h.v >= th ? 1.0 : 0.0);
    const Dual s{sv, p.surrogate.grad(z) * h.d};
    if (p.output == NeuronOutput::kSpike) {
      dl += r[idx] * s.d;
    } else {
      const float u = static_cast<float>(h.v - p.activation_shift);
      dl += r[idx] * activation_grad(p.activation, u, p.negative_slope) * h.d;
    }
    const Dual sr = p.detach_reset ? Dual{s.v, 0.0} : s;
    if (p.reset == ResetMode::kHard)
      v = h * (Dual{1.0, 0.0} - sr) + vr * sr;
    else
      v = h - th * sr;
  }
  return dl;
}

}  // namespace soma::testing
