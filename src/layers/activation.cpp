#include "soma/layers/activation.hpp"

#include "soma/layers/window.hpp"

namespace soma {

Tensor ActivationLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2, type(), ": expected a window [T, N, ...], got ",
                x.shape().str());
  if (ctx.keep()) x_ = x;
  if (fn_ == Activation::kIdentity) return x;
  Tensor y = Tensor::empty(x.shape());
  activation_forward(fn_, x.data(), y.data(), x.numel(), negative_slope_);
  return y;
}

Tensor ActivationLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  check_cached(x_, type());
  SOMA_CHECK_AS(ShapeError, grad_y.shape() == x_.shape(), type(), ": grad_y ",
                grad_y.shape().str(), " does not match the input ", x_.shape().str());
  Tensor grad_x = grad_y;
  if (fn_ != Activation::kIdentity) {
    grad_x = Tensor::empty(x_.shape());
    activation_backward(fn_, x_.data(), grad_y.data(), grad_x.data(), x_.numel(),
                        negative_slope_);
  }
  x_ = Tensor();
  return grad_x;
}

std::unique_ptr<Layer> make_relu(const ConfigNode&, const std::vector<Shape>&) {
  return std::make_unique<ActivationLayer>(Activation::kRelu);
}
std::unique_ptr<Layer> make_leaky_relu(const ConfigNode& config, const std::vector<Shape>&) {
  const float s = config.get_float("negative_slope", kLeakyReluDefaultSlope);
  config.require(std::isfinite(s), "negative_slope", "must be finite, got ", s);
  return std::make_unique<ActivationLayer>(Activation::kLeakyRelu, s);
}
std::unique_ptr<Layer> make_selu(const ConfigNode&, const std::vector<Shape>&) {
  return std::make_unique<ActivationLayer>(Activation::kSelu);
}
std::unique_ptr<Layer> make_sigmoid(const ConfigNode&, const std::vector<Shape>&) {
  return std::make_unique<ActivationLayer>(Activation::kSigmoid);
}
std::unique_ptr<Layer> make_tanh(const ConfigNode&, const std::vector<Shape>&) {
  return std::make_unique<ActivationLayer>(Activation::kTanh);
}
std::unique_ptr<Layer> make_identity(const ConfigNode&, const std::vector<Shape>&) {
  return std::make_unique<ActivationLayer>(Activation::kIdentity);
}

}  // namespace soma
