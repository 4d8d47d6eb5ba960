// bntt: batch normalisation through time (Kim & Panda, "Revisiting Batch Normalization for
// Training Low-Latency Deep Spiking Neural Networks From Scratch", Front. Neurosci. 2021): a
// separate BN, with its own statistics and affine parameters, for every time step.
//
// For step t and channel c, statistics over (N, H, W) of x[t] only:
//   training: y[t] = gamma[t, c] (x[t] - mu_{t,c}) / sqrt(var_{t,c} + eps) + beta[t, c]
//             running_mean[t] <- (1 - momentum) running_mean[t] + momentum mu_t    (per step)
//             running_var[t]  <- (1 - momentum) running_var[t] + momentum var_t n/(n-1)
//   eval:     the same with the running statistics of step t.
// Compare `batchnorm` (one set of statistics over T*N*H*W) and `tdbn` (the same pooling, scaled
// by alpha v_threshold). The window may be shorter than time_steps (steps 0..T-1 are used), not
// longer. The paper has no beta (bias: false reproduces that).
//   shapes:  x [T, N, C, ...] -> y of the same shape
//   params:  weight [time_steps, C] = 1, bias [time_steps, C] = 0 (bias: false drops it); no decay
//   buffers: running_mean [time_steps, C] = 0, running_var [time_steps, C] = 1
//
// YAML: {type: bntt, time_steps: T (required), eps: 1.0e-5, momentum: 0.1, affine: true,
//        bias: true}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class BnttLayer : public Layer {
 public:
  BnttLayer(const Shape& in, int64_t time_steps, float eps, float momentum, bool affine,
            bool bias);

  std::string_view type() const override { return "bntt"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  std::vector<BufferSpec> buffer_specs() const override;
  void bind_buffers(const std::vector<BufferView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

 private:
  Shape in_;
  int64_t steps_, c_, s_;
  float eps_, momentum_;
  bool affine_, bias_on_;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor running_mean_, running_var_;
  Tensor x_hat_, inv_std_, x_eval_;  // cache: x_hat [T, N, ...], inv_std [T, C]; or x (eval)
};

std::unique_ptr<Layer> make_bntt(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
