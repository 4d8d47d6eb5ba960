// dropout: inverted dropout (Srivastava et al. 2014), ops/dropout.hpp.
//
//   training: y = x * m,  m = 1/(1-p) with probability 1-p, else 0; one mask per window,
//             drawn from ctx.rng (required), either per element of [T, N, ...] or, with
//             shared_over_time, per element of [N, ...] and reused at every step (the usual
//             SNN practice: a dropped synapse stays dropped for the whole sample, Lee et al. 2020)
//   eval:     y = x
//   shapes:   x [T, N, ...] -> y of the same shape
//
// YAML: {type: dropout, p: 0.5 (0 <= p < 1), shared_over_time: false}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class DropoutLayer : public Layer {
 public:
  DropoutLayer(float p, bool shared_over_time);

  std::string_view type() const override { return "dropout"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;

 private:
  float p_;
  bool shared_over_time_;
  Tensor mask_;  // cache: [T, N, ...] or [N, ...] (training only)
  bool eval_ = false;  // the last forward was in eval mode: backward is the identity
};

std::unique_ptr<Layer> make_dropout(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
