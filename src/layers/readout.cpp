#include "soma/layers/readout.hpp"

namespace soma {

Tensor ReadoutLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2 && x.dim(0) >= 1,
                "readout: expected a window [T, N, ...] with T >= 1, got ", x.shape().str());
  const int64_t steps = x.dim(0), m = x.numel() / steps;
  Shape out = x.shape();
  out[0] = 1;
  Tensor y = Tensor::empty(out);
  const bool need_arg = ctx.training() && mode_ == ReadoutMode::kMaxOverTime;
  if (need_arg) argmax_.resize(m);
  readout_forward(mode_, x.data(), steps, m, y.data(), need_arg ? argmax_.data() : nullptr);
  cached_ = ctx.training();
  if (cached_) x_shape_ = x.shape();
  return y;
}

Tensor ReadoutLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(cached_, "readout: backward() called without a forward() in training mode");
  Shape expect = x_shape_;
  expect[0] = 1;
  SOMA_CHECK_AS(ShapeError, grad_y.shape() == expect, "readout: expected grad_y ", expect.str(),
                ", got ", grad_y.shape().str());
  const int64_t steps = x_shape_[0], m = grad_y.numel();
  Tensor grad_x = Tensor::empty(x_shape_);
  readout_backward(mode_, grad_y.data(), argmax_.data(), steps, m, grad_x.data());
  cached_ = false;
  return grad_x;
}

std::unique_ptr<Layer> make_readout(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const std::string mode =
      config.get_choice("mode", {"mean_over_time", "last", "max_over_time"}, "mean_over_time");
  const ReadoutMode m = mode == "last"            ? ReadoutMode::kLast
                        : mode == "max_over_time" ? ReadoutMode::kMaxOverTime
                                                  : ReadoutMode::kMeanOverTime;
  return std::make_unique<ReadoutLayer>(m);
}

}  // namespace soma
