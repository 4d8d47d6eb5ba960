// flatten: per-step [C, H, W] (any rank) -> [C*H*W]; x [T, N, ...] -> y [T, N, F].
// A reshape: no copy, y shares x's buffer; backward reshapes grad_y back.
//
// YAML: {type: flatten}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class FlattenLayer : public Layer {
 public:
  explicit FlattenLayer(const Shape& in) : in_(in) {}

  std::string_view type() const override { return "flatten"; }
  Shape output_shape(const Shape& in) const override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

 private:
  Shape in_;  // the per-step input shape fixed at build time
};

std::unique_ptr<Layer> make_flatten(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
