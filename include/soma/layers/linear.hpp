// linear: fully connected layer applied to every time step, folded into one GEMM per window.
//
//   y[t, n] = W x[t, n] + b          x [T, N, I] -> y [T, N, O]   (run as [T*N, I] x W^T)
//   W [O, I] ~ weight_init, default U(-1/sqrt(I), 1/sqrt(I)) (PyTorch's; layers/weight_init.hpp)
//   b [O]    ~ U(-1/sqrt(I), 1/sqrt(I))
//
// YAML: {type: linear, out_features: O (required, > 0), bias: true, sparse: auto,
//        weight_init: torch, weight_gain: 1}
// The per-step input must be a vector [I]; put a `flatten` layer after conv/pool layers.
// sparse (spike-aware products, ops/sparse_linear.hpp): auto = measure the input's density every
// forward; with at least 64 outputs and density <= kSparseLinearMaxDensity (0.5) the forward
// product, and with density <= sparse_weight_grad_max_density(O) (0.35 for O >= 512, else 0.15)
// also the weight gradient, are computed from the input's nonzeros only (binary spikes: gathers
// and adds); always / never force one path for both. Results equal the dense path up to float summation order.
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/layers/sparse_mode.hpp"
#include "soma/layers/weight_init.hpp"
#include "soma/ops/sparse_linear.hpp"

namespace soma {

class LinearLayer : public Layer {
 public:
  LinearLayer(int64_t in_features, int64_t out_features, bool bias,
              SparseMode sparse = SparseMode::kAuto);

  std::string_view type() const override { return "linear"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs() const override;
  void bind_params(const std::vector<ParamView>& views) override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }
  bool keeps_input() const override { return true; }
  int64_t synaptic_ops_per_step(const Shape& in) const override;

  // True when the last forward took the sparse path (for tests and benchmarks).
  bool last_forward_sparse() const { return last_sparse_; }
  void set_weight_init(const WeightInit& init) { weight_init_ = init; }

 private:
  int64_t in_, out_;
  bool has_bias_;
  SparseMode sparse_mode_;
  WeightInit weight_init_;
  bool last_sparse_ = false;
  Tensor weight_, grad_weight_, bias_, grad_bias_;
  Tensor x_;           // cache: the input window (training, dense weight gradient)
  SparseRows x_rows_;  // cache: its nonzeros (training, sparse weight gradient)
};

std::unique_ptr<Layer> make_linear(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
