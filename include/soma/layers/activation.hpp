// Elementwise activation layers: relu, leaky_relu, selu, sigmoid, tanh, identity
// (functions and derivatives in ops/activation.hpp). One class, one registry type per function.
//
//   y = f(x) elementwise,  x [T, N, ...] -> y of the same shape;  grad_x = grad_y * f'(x)
//
// YAML: {type: relu} | {type: leaky_relu, negative_slope: 0.01} | {type: selu} |
//       {type: sigmoid} | {type: tanh} | {type: identity}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/ops/activation.hpp"

namespace soma {

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(Activation fn, float negative_slope = kLeakyReluDefaultSlope)
      : fn_(fn), negative_slope_(negative_slope) {}

  std::string_view type() const override { return activation_name(fn_); }
  Shape output_shape(const Shape& in) const override { return in; }
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }
  bool keeps_input() const override { return true; }

  Activation function() const { return fn_; }

 private:
  Activation fn_;
  float negative_slope_;
  Tensor x_;  // cache: the input window (training only)
};

std::unique_ptr<Layer> make_relu(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_leaky_relu(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_selu(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_sigmoid(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_tanh(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_identity(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
