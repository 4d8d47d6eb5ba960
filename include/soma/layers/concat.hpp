// concat: concatenation of two or more inputs along the first per-step axis (channels).
//
//   x_i [T, N, C_i, ...rest] -> y [T, N, sum_i C_i, ...rest]   (rest equal for all inputs)
//   grad_x_i = the matching channel slice of grad_y
//
// YAML: {type: concat, inputs: [a, b, ...]}   (arity: two or more)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class ConcatLayer : public MergeLayer {
 public:
  std::string_view type() const override { return "concat"; }
  int arity() const override { return -1; }
  Shape output_shape_multi(const std::vector<Shape>& in) const override;
  Tensor forward_multi(const std::vector<Tensor>& xs, RunContext& ctx) override;
  std::vector<Tensor> backward_multi(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

 private:
  std::vector<Shape> in_shapes_;  // cache: the window shapes of the last forward
};

std::unique_ptr<Layer> make_concat(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
