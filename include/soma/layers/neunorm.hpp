// neunorm: NeuNorm, the auxiliary-neuron normalisation of Wu et al., "Direct Training for Spiking
// Neural Networks: Faster, Larger, Better", AAAI 2019 (arXiv 1809.05793; METHODS.md 1.3).
// Placement: conv -> LIF -> neunorm -> next conv. One auxiliary neuron per spatial position p
// integrates the spikes of all F channels there and a learned multiple of its state is
// subtracted from the spikes passed on (lateral inhibition of over-active positions):
//   v[t, p]    = k v[t-1, p] + coef * sum_c o[t, c, p],        v[-1] = 0 (every window)
//   y[t, c, p] = o[t, c, p] - alpha[c, p] v[t, p]               (alpha_shape: chw)
//              = o[t, c, p] - alpha[p] v[t, p]                  (alpha_shape: hw)
// Ambiguity resolved as an option (METHODS.md 1.3: the official code has no NeuNorm):
//   aux_scale: spikingjelly  coef = (1 - k) / F^2  (SpikingJelly's reading of the paper's v/F
//                            with k + v F = 1)
//   aux_scale: mean          coef = (1 - k) / F    (v is an exponential average of the channel
//                            mean: steady state = the mean firing rate at p)
//   alpha_shape: chw (one per channel and position, SpikingJelly) | hw (one per position)
// Backward (BPTT through the auxiliary state, exact):
//   g_v[t] = -sum_c alpha g_y[t, c] + k g_v[t+1];   g_o[t, c] = g_y[t, c] + coef g_v[t]
//   g_alpha[c, p] = -sum_{t, n} g_y[t, n, c, p] v[t, n, p]   (double, fixed order)
//   shapes:  x [T, N, C, ...] -> y of the same shape (C = F channels; positions = the rest, or a
//            single position for a per-step [F])
//   params:  alpha [C, ...] (chw) or [...] (hw; [1] for [F]), kaiming_uniform(a = sqrt(5)) with
//            fan_in = the positions of one channel (SpikingJelly's init), weight decay on
//
// YAML: {type: neunorm, decay: 0.9, aux_scale: spikingjelly, alpha_shape: chw}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class NeuNormLayer : public Layer {
 public:
  enum class AlphaShape { kChw, kHw };
  NeuNormLayer(const Shape& in, float decay, bool mean_scale, AlphaShape alpha_shape);

  std::string_view type() const override { return "neunorm"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  void reset_state() override { v_ = Tensor(); }

  float coef() const { return coef_; }

 private:
  Shape in_;
  int64_t c_, s_;
  float decay_, coef_;
  AlphaShape alpha_shape_;
  Tensor alpha_, grad_alpha_;
  Tensor v_;  // cache: auxiliary state [T, N, S]
};

std::unique_ptr<Layer> make_neunorm(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
