#include "soma/layers/bntt.hpp"

#include "soma/ops/batchnorm.hpp"

namespace soma {

BnttLayer::BnttLayer(const Shape& in, int64_t time_steps, float eps, float momentum, bool affine,
                     bool bias)
    : in_(in), steps_(time_steps), eps_(eps), momentum_(momentum), affine_(affine),
      bias_on_(affine && bias) {
  SOMA_CHECK_AS(ShapeError, in.rank() >= 1, "bntt: expected a per-step input [C, ...]");
  c_ = in[0];
  s_ = in.numel_from(1);
}

Shape BnttLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in == in_, "bntt: expected per-step input ", in_.str(), ", got ",
                in.str());
  return in;
}

std::vector<ParamSpec> BnttLayer::param_specs() const {
  std::vector<ParamSpec> v;
  if (affine_) v.push_back({"weight", Shape{steps_, c_}, Init::constant(1.f), false});
  if (bias_on_) v.push_back({"bias", Shape{steps_, c_}, Init::constant(0.f), false});
  return v;
}

void BnttLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == size_t(affine_) + size_t(bias_on_), "bntt: ", views.size(),
              " param views");
  if (affine_) {
    weight_ = views[0].value;
    grad_weight_ = views[0].grad;
  }
  if (bias_on_) {
    bias_ = views[1].value;
    grad_bias_ = views[1].grad;
  }
}

std::vector<BufferSpec> BnttLayer::buffer_specs() const {
  return {{"running_mean", Shape{steps_, c_}, 0.f}, {"running_var", Shape{steps_, c_}, 1.f}};
}

void BnttLayer::bind_buffers(const std::vector<BufferView>& views) {
  SOMA_ASSERT(views.size() == 2u, "bntt: ", views.size(), " buffer views");
  running_mean_ = views[0].value;
  running_var_ = views[1].value;
}

namespace {

void check_bntt_window(const Tensor& x, const Shape& in, int64_t steps) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2 && x.shape().drop_front(2) == in, "bntt: expected [T, N] + ",
                in.str(), ", got ", x.shape().str());
  SOMA_CHECK_AS(ShapeError, x.dim(0) <= steps, "bntt: built for time_steps = ", steps,
                " (one BN per step), got a window of T = ", x.dim(0));
}

}  // namespace

Tensor BnttLayer::forward(const Tensor& x, RunContext& ctx) {
  check_bntt_window(x, in_, steps_);
  const int64_t T = x.dim(0), n = x.dim(1), per = n * c_ * s_;
  Tensor y = Tensor::empty(x.shape());
  auto gamma = [&](int64_t t) { return affine_ ? weight_.data() + t * c_ : nullptr; };
  auto beta = [&](int64_t t) { return bias_on_ ? bias_.data() + t * c_ : nullptr; };
  if (!ctx.training()) {
    for (int64_t t = 0; t < T; ++t)
      batchnorm_forward_eval(x.data() + t * per, n, c_, s_, gamma(t), beta(t), eps_,
                             running_mean_.data() + t * c_, running_var_.data() + t * c_,
                             y.data() + t * per);
    x_eval_ = ctx.keep_for_backward ? x : Tensor();  // pure inference keeps nothing
    x_hat_ = Tensor();
    return y;
  }
  const int64_t count = n * s_;
  SOMA_CHECK_AS(ShapeError, count > 1,
                "bntt: training needs more than one value per channel and step, got ",
                x.shape().str());
  // model.recompute: a forward that keeps nothing skips x_hat; the recompute runs the same
  // kernel again (bit-identical) without touching the running statistics.
  x_hat_ = ctx.keep_for_backward ? Tensor::empty(x.shape()) : Tensor();
  inv_std_ = Tensor::empty(Shape{T, c_});
  std::vector<double> mean(c_), var(c_);
  for (int64_t t = 0; t < T; ++t) {
    batchnorm_forward_train(x.data() + t * per, n, c_, s_, gamma(t), beta(t), eps_,
                            y.data() + t * per, x_hat_.defined() ? x_hat_.data() + t * per : nullptr,
                            mean.data(), var.data(), inv_std_.data() + t * c_);
    if (ctx.recomputing) continue;
    batchnorm_update_running(running_mean_.data() + t * c_, running_var_.data() + t * c_,
                             mean.data(), var.data(), c_, momentum_, double(count));
  }
  x_eval_ = Tensor();
  return y;
}

Tensor BnttLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  check_bntt_window(grad_y, in_, steps_);
  const int64_t T = grad_y.dim(0), n = grad_y.dim(1), per = n * c_ * s_;
  Tensor grad_x = Tensor::empty(grad_y.shape());
  for (int64_t t = 0; t < T; ++t) {
    const float* g = affine_ ? weight_.data() + t * c_ : nullptr;
    float* gg = affine_ ? grad_weight_.data() + t * c_ : nullptr;
    float* gb = bias_on_ ? grad_bias_.data() + t * c_ : nullptr;
    if (x_hat_.defined()) {
      batchnorm_backward_train(grad_y.data() + t * per, x_hat_.data() + t * per,
                               inv_std_.data() + t * c_, n, c_, s_, g, grad_x.data() + t * per,
                               gg, gb);
    } else {
      SOMA_CHECK(x_eval_.defined(), "bntt: backward() called without a forward() before it");
      batchnorm_backward_eval(x_eval_.data() + t * per, grad_y.data() + t * per, n, c_, s_, g,
                              eps_, running_mean_.data() + t * c_, running_var_.data() + t * c_,
                              grad_x.data() + t * per, gg, gb);
    }
  }
  x_hat_ = Tensor();
  inv_std_ = Tensor();
  x_eval_ = Tensor();
  return grad_x;
}

std::unique_ptr<Layer> make_bntt(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const int64_t steps = config.get_int("time_steps");
  config.require(steps >= 1, "time_steps", "must be >= 1 (the window length T), got ", steps);
  const float eps = config.get_float("eps", 1e-5f);
  config.require(eps > 0.f, "eps", "must be > 0, got ", eps);
  const float momentum = config.get_float("momentum", 0.1f);
  config.require(momentum >= 0.f && momentum <= 1.f, "momentum", "must be in [0, 1], got ",
                 momentum);
  const bool affine = config.get_bool("affine", true);
  const bool bias = config.get_bool("bias", true);
  return std::make_unique<BnttLayer>(in[0], steps, eps, momentum, affine, bias);
}

}  // namespace soma
