// adaptive_avgpool2d / global_avgpool2d: average pooling to a fixed output size, per channel
// and time step (ops/pool.hpp), with PyTorch's bins: output cell (i, j) averages rows
// [floor(i H / oh), ceil((i+1) H / oh)) and columns [floor(j W / ow), ceil((j+1) W / ow)).
//
//   adaptive_avgpool2d: x [T, N, C, H, W] -> y [T, N, C, oh, ow]
//   global_avgpool2d:   x [T, N, C, H, W] -> y [T, N, C]   (the mean over H*W)
//
// YAML: {type: adaptive_avgpool2d, output_size: s | [oh, ow] (required, > 0)}
//       {type: global_avgpool2d}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class AdaptiveAvgPool2dLayer : public Layer {
 public:
  // global: output 1 x 1 and the per-step output shape drops H, W.
  AdaptiveAvgPool2dLayer(int64_t oh, int64_t ow, bool global);

  std::string_view type() const override {
    return global_ ? "global_avgpool2d" : "adaptive_avgpool2d";
  }
  Shape output_shape(const Shape& in) const override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }

 private:
  int64_t oh_, ow_;
  bool global_;
  Shape x_shape_;  // cache (training only)
  bool cached_ = false;
};

std::unique_ptr<Layer> make_adaptive_avgpool2d(const ConfigNode& config,
                                               const std::vector<Shape>& in);
std::unique_ptr<Layer> make_global_avgpool2d(const ConfigNode& config,
                                             const std::vector<Shape>& in);

}  // namespace soma
