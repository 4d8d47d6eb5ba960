// vote: fixed averaging of consecutive groups of k output neurons (the voting layer of STBP's
// CIFARNet, Wu et al. 2019, "Direct training for spiking neural networks: faster, larger,
// better"); no parameters (ops/vote.hpp).
//
//   y[j] = (1/k) sum_{i<k} x[j*k + i],   x [T, N, F] -> y [T, N, F/k]   (F divisible by k)
//
// YAML: {type: vote, groups: k (required, > 0)}
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

class VoteLayer : public Layer {
 public:
  explicit VoteLayer(int64_t k) : k_(k) {}

  std::string_view type() const override { return "vote"; }
  Shape output_shape(const Shape& in) const override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;

 private:
  int64_t k_;
};

std::unique_ptr<Layer> make_vote(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
