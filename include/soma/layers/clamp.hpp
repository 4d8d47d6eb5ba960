// clamp: y = min(max(x, lo), hi) elementwise (PyTorch's torch.clamp / hardtanh).
//
//   x [T, N, ...] -> y of the same shape;  grad_x = grad_y * [lo <= x <= hi]
//   (the gradient passes at the bounds themselves, as torch.clamp's does)
//
// Why a layer of its own: the 2021-10 LIAF-Net code clamps the analog output of every LIAF layer
// to [0, 1] (`if_clamp_the_output`, METHODS.md 3.1); in soma that is `liaf` followed by
// `{type: clamp, min: 0, max: 1}`, and the clamp is usable after any other layer as well.
// YAML: {type: clamp, min: 0.0, max: 1.0}   (min < max)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class ClampLayer : public Layer {
 public:
  ClampLayer(float lo, float hi);

  std::string_view type() const override { return "clamp"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }
  bool keeps_input() const override { return true; }

 private:
  float lo_, hi_;
  Tensor x_;  // cache: the input window (training only)
};

std::unique_ptr<Layer> make_clamp(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
