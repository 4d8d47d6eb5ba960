// conv2d: 2-D convolution applied to every time step, folded over B = T*N images
// (ops/conv2d.hpp: im2col + gemm, output channels on the rows of the product).
//
//   x [T, N, C, H, W] -> y [T, N, O, Ho, Wo],  Ho = floor((H + 2p_h - d_h (k_h - 1) - 1)/s_h) + 1
//   y = W * x + b (cross-correlation, per group of C/g input and O/g output channels)
//   W [O, C/g, kh, kw] ~ weight_init (default PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in))),
//     fan_in = C/g*kh*kw, fan_out = O/g*kh*kw (layers/weight_init.hpp)
//   b [O] ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
//
// YAML: {type: conv2d, out_channels: O (required), kernel: k | [kh, kw] (required),
//        stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, sparse: auto,
//        weight_init: torch, weight_gain: 1}
// (stride, padding, dilation: an int or [h, w]; C and O must be divisible by groups)
// sparse (spike-aware products, ops/sparse_conv2d.hpp; groups == 1 only, else always dense):
// auto = estimate the input's density every forward (a few sampled images, then the exact
// count while listing the nonzeros); with >= 32 input channels and density <= 0.25 the forward
// product visits only the input's nonzeros (binary spikes: gathers and adds of weight rows), and
// in training so does the weight gradient (stride 1, dilation 1: at density <= 0.25, any batch;
// other geometries: <= 0.1 with >= 64 images T*N); the thresholds are the kSparseConv*
// constants. The input gradient stays dense.
// always / never force one path for both. Results equal the dense path up to float summation
// order.
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/layers/sparse_mode.hpp"
#include "soma/layers/weight_init.hpp"
#include "soma/ops/conv2d.hpp"
#include "soma/ops/sparse_conv2d.hpp"

namespace soma {

class Conv2dLayer : public Layer {
 public:
  // geometry.h/w may be anything >= 1 here; the input size is checked per call.
  Conv2dLayer(const Conv2dGeometry& geometry, bool bias, SparseMode sparse = SparseMode::kAuto);

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
  void set_weight_init(const WeightInit& init) { weight_init_ = init; }
  // True when the last forward took the spike-aware path (for tests and benchmarks).
  bool last_forward_sparse() const { return last_sparse_; }

 private:
  Conv2dGeometry geom_;
  bool has_bias_;
  WeightInit weight_init_;
  SparseMode sparse_mode_;
  bool last_sparse_ = false;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor x_;  // cache: the input window (training only); col is recomputed in backward
  Shape x_shape_;          // the input window's shape (the sparse weight gradient has no x_)
  SparsePixels x_pixels_;  // cache: the input's nonzeros (training, sparse weight gradient)
};

std::unique_ptr<Layer> make_conv2d(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
