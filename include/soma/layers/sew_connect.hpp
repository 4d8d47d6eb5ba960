// sew_connect: the element-wise connect function g(A, S) of a SEW residual block (Fang et al.,
// "Deep Residual Learning in Spiking Neural Networks", NeurIPS 2021, arXiv 2102.04159;
// METHODS.md 14.1). Inputs in order: A, the residual branch's output spikes, and S, the
// (downsampled) shortcut spikes.
//   add:  O = A + S          dO/dA = 1,       dO/dS = 1       (O can be 2: accepted)
//   and:  O = A * S          dO/dA = S,       dO/dS = A       (A AND S for binary spikes)
//   iand: O = (1 - A) * S    dO/dA = -S,      dO/dS = 1 - A   ((NOT A) AND S)
// Identity: A = 0 gives O = S for add and iand; A = 1 gives O = S for and.
//   shapes: A, S [T, N, ...] (equal) -> O of the same shape
//
// YAML: {type: sew_connect, connect: add, inputs: [branch, shortcut]}   (connect: add|and|iand)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

enum class SewConnect { kAdd, kAnd, kIand };

class SewConnectLayer : public MergeLayer {
 public:
  explicit SewConnectLayer(SewConnect connect) : connect_(connect) {}
  std::string_view type() const override { return "sew_connect"; }
  int arity() const override { return 2; }
  Shape output_shape_multi(const std::vector<Shape>& in) const override;
  Tensor forward_multi(const std::vector<Tensor>& xs, RunContext& ctx) override;
  std::vector<Tensor> backward_multi(const Tensor& grad_y, RunContext& ctx) override;
  SewConnect connect() const { return connect_; }

 private:
  SewConnect connect_;
  Tensor a_, s_;  // cache (and, iand): the inputs
  bool ran_ = false;
};

SewConnect parse_sew_connect(const ConfigNode& config, std::string_view key);
std::unique_ptr<Layer> make_sew_connect(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
