#include "soma/layers/adaptive_avgpool2d.hpp"

#include "soma/layers/window.hpp"
#include "soma/ops/pool.hpp"

namespace soma {

AdaptiveAvgPool2dLayer::AdaptiveAvgPool2dLayer(int64_t oh, int64_t ow, bool global)
    : oh_(oh), ow_(ow), global_(global) {
  SOMA_ASSERT(oh_ > 0 && ow_ > 0);
}

Shape AdaptiveAvgPool2dLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in.rank() == 3, type(), ": expected a per-step input [C, H, W], got ",
                in.str());
  SOMA_CHECK_AS(ShapeError, in[1] > 0 && in[2] > 0, type(), ": empty input ", in.str());
  if (global_) return Shape{in[0]};
  return Shape{in[0], oh_, ow_};
}

Tensor AdaptiveAvgPool2dLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() == 5, type(), ": expected a window [T, N, C, H, W], got ",
                x.shape().str());
  const Shape out = output_shape(x.shape().drop_front(2));
  Tensor y = Tensor::empty(out.prepend({x.dim(0), x.dim(1)}));
  adaptive_avgpool2d_forward(x.data(), x.dim(0) * x.dim(1) * x.dim(2), x.dim(3), x.dim(4), oh_,
                             ow_, y.data());
  cached_ = ctx.keep();
  if (cached_) x_shape_ = x.shape();
  return y;
}

Tensor AdaptiveAvgPool2dLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(cached_, type(), ": backward() called without a forward() in training mode");
  check_window(grad_y, output_shape(x_shape_.drop_front(2)), type());
  Tensor grad_x = Tensor::empty(x_shape_);
  adaptive_avgpool2d_backward(grad_y.data(), x_shape_[0] * x_shape_[1] * x_shape_[2],
                              x_shape_[3], x_shape_[4], oh_, ow_, grad_x.data());
  cached_ = false;
  return grad_x;
}

std::unique_ptr<Layer> make_adaptive_avgpool2d(const ConfigNode& config,
                                               const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  if (!config.has("output_size"))
    config.fail("missing required key 'output_size' (an int or [oh, ow])");
  const std::vector<int64_t> s = config.get_ints("output_size", 2, {});
  config.require(s[0] > 0 && s[1] > 0, "output_size", "must be > 0, got [", s[0], ", ", s[1],
                 "]");
  auto layer = std::make_unique<AdaptiveAvgPool2dLayer>(s[0], s[1], false);
  layer->output_shape(in[0]);
  return layer;
}

std::unique_ptr<Layer> make_global_avgpool2d(const ConfigNode& /*config*/,
                                             const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  auto layer = std::make_unique<AdaptiveAvgPool2dLayer>(1, 1, true);
  layer->output_shape(in[0]);
  return layer;
}

}  // namespace soma
