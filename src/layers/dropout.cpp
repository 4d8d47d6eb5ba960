#include "soma/layers/dropout.hpp"

#include "soma/ops/dropout.hpp"

namespace soma {

DropoutLayer::DropoutLayer(float p, bool shared_over_time)
    : p_(p), shared_over_time_(shared_over_time) {
  SOMA_ASSERT(p_ >= 0.f && p_ < 1.f);
}

Tensor DropoutLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2, "dropout: expected a window [T, N, ...], got ",
                x.shape().str());
  eval_ = !ctx.training();
  if (eval_ || p_ == 0.f) {
    eval_ = true;
    return x;
  }
  SOMA_CHECK(ctx.rng != nullptr, "dropout: training needs a random generator (RunContext::rng)");
  const int64_t steps = x.dim(0), step_size = x.numel() / steps;
  mask_ = Tensor::empty(shared_over_time_ ? x.shape().drop_front(1) : x.shape());
  dropout_mask(*ctx.rng, p_, mask_.data(), mask_.numel());
  Tensor y = Tensor::empty(x.shape());
  dropout_apply(x.data(), mask_.data(), shared_over_time_, steps, step_size, y.data());
  return y;
}

Tensor DropoutLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  if (eval_) return grad_y;
  SOMA_CHECK(mask_.defined(), "dropout: backward() called without a forward() before it");
  const int64_t steps = grad_y.dim(0), step_size = grad_y.numel() / steps;
  SOMA_CHECK_AS(ShapeError,
                mask_.numel() == (shared_over_time_ ? step_size : grad_y.numel()),
                "dropout: grad_y ", grad_y.shape().str(), " does not match the forward input");
  Tensor grad_x = Tensor::empty(grad_y.shape());
  dropout_apply(grad_y.data(), mask_.data(), shared_over_time_, steps, step_size, grad_x.data());
  mask_ = Tensor();
  return grad_x;
}

std::unique_ptr<Layer> make_dropout(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const float p = config.get_float("p", 0.5f);
  config.require(p >= 0.f && p < 1.f, "p", "must be in [0, 1), got ", p);
  const bool shared = config.get_bool("shared_over_time", false);
  return std::make_unique<DropoutLayer>(p, shared);
}

}  // namespace soma
