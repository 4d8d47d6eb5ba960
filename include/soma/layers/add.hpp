// add: elementwise sum of two or more inputs of the same shape (residual connections).
//
//   y = x_1 + ... + x_k,   each x_i [T, N, ...] -> y of the same shape;  grad_x_i = grad_y
//
// YAML: {type: add, inputs: [a, b, ...]}   (arity: two or more)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class AddLayer : public MergeLayer {
 public:
  std::string_view type() const override { return "add"; }
  int arity() const override { return -1; }
  Shape output_shape_multi(const std::vector<Shape>& in) const override;
  Tensor forward_multi(const std::vector<Tensor>& xs, RunContext& ctx) override;
  std::vector<Tensor> backward_multi(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

 private:
  size_t inputs_ = 0;  // cache: how many inputs the last forward had
};

std::unique_ptr<Layer> make_add(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
