#include "soma/layers/vote.hpp"

#include "soma/ops/vote.hpp"

namespace soma {

Shape VoteLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in.rank() == 1, "vote: expected a per-step vector input [F], got ",
                in.str(), "; add a `flatten` layer before it");
  SOMA_CHECK_AS(ShapeError, in[0] % k_ == 0, "vote: input features ", in[0],
                " are not divisible by groups ", k_);
  return Shape{in[0] / k_};
}

Tensor VoteLayer::forward(const Tensor& x, RunContext& /*ctx*/) {
  SOMA_CHECK_AS(ShapeError, x.rank() == 3, "vote: expected a window [T, N, F], got ",
                x.shape().str());
  const Shape out = output_shape(Shape{x.dim(2)});
  Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), out[0]});
  vote_forward(x.data(), x.dim(0) * x.dim(1), x.dim(2), k_, y.data());
  return y;
}

Tensor VoteLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK_AS(ShapeError, grad_y.rank() == 3, "vote: expected grad_y [T, N, F/k], got ",
                grad_y.shape().str());
  const int64_t f = grad_y.dim(2) * k_;
  Tensor grad_x = Tensor::empty(Shape{grad_y.dim(0), grad_y.dim(1), f});
  vote_backward(grad_y.data(), grad_y.dim(0) * grad_y.dim(1), f, k_, grad_x.data());
  return grad_x;
}

std::unique_ptr<Layer> make_vote(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const int64_t k = config.get_int("groups");
  config.require(k > 0, "groups", "must be > 0, got ", k);
  auto layer = std::make_unique<VoteLayer>(k);
  layer->output_shape(in[0]);
  return layer;
}

}  // namespace soma
