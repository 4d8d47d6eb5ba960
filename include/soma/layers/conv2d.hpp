// conv2d: 2-D convolution applied to every time step, folded over B = T*N images
// (ops/conv2d.hpp: im2col + gemm, output channels on the rows of the product).
//
//   x [T, N, C, H, W] -> y [T, N, O, Ho, Wo],  Ho = floor((H + 2p_h - d_h (k_h - 1) - 1)/s_h) + 1
//   y = W * x + b (cross-correlation, per group of C/g input and O/g output channels)
//   W [O, C/g, kh, kw] ~ kaiming_uniform(a = sqrt(5)), fan_in = C/g*kh*kw (PyTorch's default)
//   b [O] ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
//
// YAML: {type: conv2d, out_channels: O (required), kernel: k | [kh, kw] (required),
//        stride: 1, padding: 0, dilation: 1, groups: 1, bias: true}
// (stride, padding, dilation: an int or [h, w]; C and O must be divisible by groups)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/ops/conv2d.hpp"

namespace soma {

class Conv2dLayer : public Layer {
 public:
  // geometry.h/w may be anything >= 1 here; the input size is checked per call.
  Conv2dLayer(const Conv2dGeometry& geometry, bool bias);

  std::string_view type() const override { return "conv2d"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }
  bool keeps_input() const override { return true; }
  int64_t synaptic_ops_per_step(const Shape& in) const override;

  const Conv2dGeometry& geometry() const { return geom_; }

 private:
  Conv2dGeometry geom_;
  bool has_bias_;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor x_;  // cache: the input window (training only); col is recomputed in backward
};

std::unique_ptr<Layer> make_conv2d(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
