// batchnorm: batch normalisation (Ioffe & Szegedy 2015) over the whole window, per channel
// (ops/batchnorm.hpp). Statistics pool all time steps: for per-step [C, H, W] over T*N*H*W
// values per channel, for per-step [C] (or [C, L]) over T*N (*L) values. Computed in double.
//
//   training: y = gamma (x - mu_B) / sqrt(var_B + eps) + beta   (var_B biased)
//             running_mean <- (1 - momentum) running_mean + momentum mu_B
//             running_var  <- (1 - momentum) running_var  + momentum var_B n/(n-1)  (unbiased)
//   eval:     y = gamma (x - running_mean) / sqrt(running_var + eps) + beta
//   gain:     an output scale k fixed at construction, y = k gamma x_hat + beta (1 here; tdbn
//             uses k = alpha * v_threshold, include/soma/layers/tdbn.hpp)
//   folding:  fold(shift) after the scale has been folded into the preceding conv/linear
//             (model/fold_batchnorm.hpp): y = x + shift_c in eval; training is then an error
//   shapes:   x [T, N, C, ...] -> y of the same shape
//   params:   weight (gamma) [C] = 1, bias (beta) [C] = 0, both without weight decay (affine only)
//   buffers:  running_mean [C] = 0, running_var [C] = 1
//   synchronised (ctx.comm set, size > 1; train.sync_bn): mu_B and var_B are those of the
//             global batch (the shards of all ranks): per-channel sums, then sums of squared
//             deviations, are all-reduced (two small reductions of C doubles, plus one for the
//             count); backward all-reduces sum grad_y and sum grad_y x_hat the same way. Param
//             grads stay per rank (the trainer averages them). Without it each rank normalises
//             with its own shard's statistics, as PyTorch's plain BatchNorm under DDP does.
//
// YAML: {type: batchnorm, eps: 1.0e-5, momentum: 0.1, affine: true}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class BatchNormLayer : public Layer {
 public:
  BatchNormLayer(const Shape& in, float eps, float momentum, bool affine, float gain = 1.f);

  std::string_view type() const override { return "batchnorm"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  std::vector<BufferSpec> buffer_specs() const override;
  void bind_buffers(const std::vector<BufferView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

  float eps() const { return eps_; }
  float gain() const { return gain_; }
  int64_t channels() const { return c_; }
  // The eval map as y = scale_c x + shift_c (from gamma, beta, gain and the running statistics).
  void eval_affine(std::vector<float>& scale, std::vector<float>& shift) const;
  // After folding the scale into the preceding layer: y = x + shift_c in eval only.
  void fold(std::vector<float> shift);
  bool folded() const { return folded_; }

 private:
  // gamma_eff = gain * gamma (nullptr when that is all ones), refreshed per forward.
  const float* effective_gamma();

  Shape in_;
  int64_t c_, s_;  // channels, values per channel and sample (H*W)
  float eps_, momentum_;
  bool affine_;
  float gain_;
  std::vector<float> gamma_eff_;
  bool folded_ = false;
  std::vector<float> fold_shift_;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor running_mean_, running_var_;
  // cache (training): the input x (a handle: backward recomputes x_hat = (x - mu_B) inv_std
  // from it, ops/batchnorm.hpp), float(mu_B) and 1/sqrt(var_B + eps) per channel; x_hat itself
  // only with synchronised statistics; in eval mode the input, so backward can go through the
  // fixed eval map.
  Tensor x_hat_, x_train_, mean_f_, inv_std_, x_eval_;
  std::vector<double> batch_mean_;  // kept instead of x by a forward that keeps nothing
  Communicator* sync_comm_ = nullptr;  // the group of the last synchronised forward
  double sync_count_ = 0.0;            // global values per channel in that forward
};

std::unique_ptr<Layer> make_batchnorm(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
