// tdbn: threshold-dependent batch normalisation (Zheng, Wu, Deng, Hu, Li, "Going Deeper With
// Directly-Trained Larger Spiking Neural Networks", AAAI 2021, arXiv 2011.05280; METHODS.md 2.2).
//
// Per channel c, statistics over all of (T, N, H, W) (time pooled, like `batchnorm`):
//   training: x_hat = (x - mu_c) / sqrt(var_c + eps)            (var_c biased)
//             y = lambda_c * alpha * v_threshold * x_hat + beta_c
//             running_mean <- (1 - momentum) running_mean + momentum mu_c
//             running_var  <- (1 - momentum) running_var + momentum var_c n/(n-1)   (unbiased)
//   eval:     the same with the running statistics.
// So the normalised input is N(0, (alpha v_threshold)^2) at init: balanced against the threshold.
// alpha = 1 in general; 1/sqrt(2) for the BN right before a residual addition and for the BN of
// a projection shortcut (two such terms add up to variance v_threshold^2 again).
// Parameterisation as in the STBP-simple / MLF implementations: alpha * v_threshold multiplies
// explicitly, lambda (weight) starts at 1 (SpikingJelly instead starts lambda at alpha*v_th and
// applies plain BN: the same function at init).
//   shapes:  x [T, N, C, ...] -> y of the same shape
//   params:  weight (lambda) [C] = 1, bias (beta) [C] = 0, no weight decay (affine: true)
//   buffers: running_mean [C] = 0, running_var [C] = 1
// Inference folding (model/fold_batchnorm.hpp): with s_c = lambda_c alpha v_th / sqrt(var + eps),
// a preceding conv becomes W'_c = s_c W_c, b'_c = s_c (b_c - mu_c) + beta_c, and this layer an
// identity (or a per-channel bias add, when the conv has no bias): fold().
//
// YAML: {type: tdbn, alpha: 1.0, v_threshold: 1.0, eps: 1.0e-5, momentum: 0.1, affine: true}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class TdBatchNormLayer : public Layer {
 public:
  TdBatchNormLayer(const Shape& in, float alpha, float v_threshold, float eps, float momentum,
                   bool affine);

  std::string_view type() const override { return "tdbn"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  std::vector<BufferSpec> buffer_specs() const override;
  void bind_buffers(const std::vector<BufferView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;

  float alpha() const { return alpha_; }
  float v_threshold() const { return v_threshold_; }
  float eps() const { return eps_; }
  int64_t channels() const { return c_; }
  // The eval map as y = scale_c x + shift_c (from lambda, beta and the running statistics).
  void eval_affine(std::vector<float>& scale, std::vector<float>& shift) const;
  // After folding the scale into the preceding layer: y = x + shift_c in eval; training is then
  // an error (the running statistics no longer describe this layer's input).
  void fold(std::vector<float> shift);
  bool folded() const { return folded_; }

 private:
  Shape in_;
  int64_t c_, s_;
  float alpha_, v_threshold_, eps_, momentum_;
  bool affine_;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor running_mean_, running_var_;
  Tensor x_hat_, inv_std_, x_eval_;  // cache, as in batchnorm
  std::vector<float> gamma_;         // lambda * alpha * v_threshold, per forward
  bool folded_ = false;
  std::vector<float> fold_shift_;
};

std::unique_ptr<Layer> make_tdbn(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
