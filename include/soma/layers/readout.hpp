// readout: reduces a window over time (ops/readout.hpp); the output keeps the time-major form
// with T = 1, so losses see [1, N, ...].
//
//   mean_over_time: y = (1/T) sum_t x_t
//   last:           y = x_{T-1}
//   max_over_time:  y = max_t x_t elementwise (gradient to the argmax step; ties: the first)
//   shapes:         x [T, N, ...] -> y [1, N, ...]
//
// YAML: {type: readout, mode: mean_over_time | last | max_over_time (default mean_over_time)}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/ops/readout.hpp"

namespace soma {

class ReadoutLayer : public Layer {
 public:
  explicit ReadoutLayer(ReadoutMode mode) : mode_(mode) {}

  std::string_view type() const override { return "readout"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;

 private:
  ReadoutMode mode_;
  Shape x_shape_;                // cache (training only)
  std::vector<int32_t> argmax_;  // cache for max_over_time
  bool cached_ = false;
};

std::unique_ptr<Layer> make_readout(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
