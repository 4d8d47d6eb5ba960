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
// identity (or a per-channel bias add, when the conv has no bias): BatchNormLayer::fold().
//
// YAML: {type: tdbn, alpha: 1.0, v_threshold: 1.0, eps: 1.0e-5, momentum: 0.1, affine: true}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/batchnorm.hpp"

namespace soma {

// Batch norm with the output gain alpha * v_threshold (all the rest is BatchNormLayer's,
// including synchronised statistics and folding).
class TdBatchNormLayer : public BatchNormLayer {
 public:
  TdBatchNormLayer(const Shape& in, float alpha, float v_threshold, float eps, float momentum,
                   bool affine)
      : BatchNormLayer(in, eps, momentum, affine, alpha * v_threshold), alpha_(alpha),
        v_threshold_(v_threshold) {}

  std::string_view type() const override { return "tdbn"; }
  float alpha() const { return alpha_; }
  float v_threshold() const { return v_threshold_; }

 private:
  float alpha_, v_threshold_;
};

std::unique_ptr<Layer> make_tdbn(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
