#include "soma/layers/tdbn.hpp"

#include <cmath>

#include "soma/layers/window.hpp"
#include "soma/ops/batchnorm.hpp"

namespace soma {

TdBatchNormLayer::TdBatchNormLayer(const Shape& in, float alpha, float v_threshold, float eps,
                                   float momentum, bool affine)
    : in_(in), alpha_(alpha), v_threshold_(v_threshold), eps_(eps), momentum_(momentum),
      affine_(affine) {
  SOMA_CHECK_AS(ShapeError, in.rank() >= 1, "tdbn: expected a per-step input [C, ...]");
  c_ = in[0];
  s_ = in.numel_from(1);
  gamma_.assign(c_, 0.f);
}

Shape TdBatchNormLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in == in_, "tdbn: expected per-step input ", in_.str(), ", got ",
                in.str());
  return in;
}

std::vector<ParamSpec> TdBatchNormLayer::param_specs() const {
  if (!affine_) return {};
  return {{"weight", Shape{c_}, Init::constant(1.f), false},
          {"bias", Shape{c_}, Init::constant(0.f), false}};
}

void TdBatchNormLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == (affine_ ? 2u : 0u), "tdbn: ", views.size(), " param views");
  if (!affine_) return;
  weight_ = views[0].value;
  grad_weight_ = views[0].grad;
  bias_ = views[1].value;
  grad_bias_ = views[1].grad;
}

std::vector<BufferSpec> TdBatchNormLayer::buffer_specs() const {
  return {{"running_mean", Shape{c_}, 0.f}, {"running_var", Shape{c_}, 1.f}};
}

void TdBatchNormLayer::bind_buffers(const std::vector<BufferView>& views) {
  SOMA_ASSERT(views.size() == 2u, "tdbn: ", views.size(), " buffer views");
  running_mean_ = views[0].value;
  running_var_ = views[1].value;
}

void TdBatchNormLayer::eval_affine(std::vector<float>& scale, std::vector<float>& shift) const {
  scale.resize(c_);
  shift.resize(c_);
  for (int64_t ch = 0; ch < c_; ++ch) {
    const double g = double(alpha_) * v_threshold_ * (affine_ ? weight_[ch] : 1.f);
    const double sc = g / std::sqrt(double(running_var_[ch]) + double(eps_));
    scale[ch] = static_cast<float>(sc);
    shift[ch] = static_cast<float>((affine_ ? bias_[ch] : 0.f) - running_mean_[ch] * sc);
  }
}

void TdBatchNormLayer::fold(std::vector<float> shift) {
  SOMA_CHECK(static_cast<int64_t>(shift.size()) == c_, "tdbn fold: ", shift.size(),
             " shifts for ", c_, " channels");
  fold_shift_ = std::move(shift);
  folded_ = true;
}

Tensor TdBatchNormLayer::forward(const Tensor& x, RunContext& ctx) {
  const int64_t b = check_window(x, in_, type());
  SOMA_ASSERT(running_mean_.defined(), "tdbn: buffers not bound");
  Tensor y = Tensor::empty(x.shape());
  if (folded_) {
    SOMA_CHECK(!ctx.training(), "tdbn layer '", name(),
               "' was folded into the preceding layer for inference; it cannot train");
    const float* px = x.data();
    float* py = y.data();
#pragma omp parallel for schedule(static) if (b * c_ * s_ > (1 << 15))
    for (int64_t i = 0; i < b; ++i)
      for (int64_t ch = 0; ch < c_; ++ch) {
        const float sh = fold_shift_[ch];
        const int64_t o = (i * c_ + ch) * s_;
        for (int64_t k = 0; k < s_; ++k) py[o + k] = px[o + k] + sh;
      }
    x_eval_ = Tensor();
    x_hat_ = Tensor();
    return y;
  }
  const float k = alpha_ * v_threshold_;
  for (int64_t ch = 0; ch < c_; ++ch) gamma_[ch] = k * (affine_ ? weight_[ch] : 1.f);
  const float* beta = affine_ ? bias_.data() : nullptr;
  if (!ctx.training()) {
    batchnorm_forward_eval(x.data(), b, c_, s_, gamma_.data(), beta, eps_, running_mean_.data(),
                           running_var_.data(), y.data());
    x_eval_ = x;
    x_hat_ = Tensor();
    return y;
  }
  const int64_t n = b * s_;
  SOMA_CHECK_AS(ShapeError, n > 1, "tdbn: training needs more than one value per channel, got ",
                x.shape().str());
  std::vector<double> mean(c_), var(c_);
  x_hat_ = Tensor::empty(x.shape());
  inv_std_ = Tensor::empty(Shape{c_});
  batchnorm_forward_train(x.data(), b, c_, s_, gamma_.data(), beta, eps_, y.data(),
                          x_hat_.data(), mean.data(), var.data(), inv_std_.data());
  const double m = momentum_, unbias = double(n) / double(n - 1);
  for (int64_t ch = 0; ch < c_; ++ch) {
    running_mean_[ch] = static_cast<float>((1.0 - m) * running_mean_[ch] + m * mean[ch]);
    running_var_[ch] = static_cast<float>((1.0 - m) * running_var_[ch] + m * var[ch] * unbias);
  }
  x_eval_ = Tensor();
  return y;
}

Tensor TdBatchNormLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  const int64_t b = check_window(grad_y, in_, type());
  SOMA_CHECK(!folded_, "tdbn layer '", name(), "' is folded (inference only)");
  Tensor grad_x = Tensor::empty(grad_y.shape());
  // The ops accumulate d/d(gamma_eff); lambda's gradient is alpha v_th times that.
  std::vector<float> gg(c_, 0.f);
  float* gb = affine_ ? grad_bias_.data() : nullptr;
  if (x_hat_.defined()) {
    batchnorm_backward_train(grad_y.data(), x_hat_.data(), inv_std_.data(), b, c_, s_,
                             gamma_.data(), grad_x.data(), gg.data(), gb);
  } else {
    SOMA_CHECK(x_eval_.defined(), "tdbn: backward() called without a forward() before it");
    batchnorm_backward_eval(x_eval_.data(), grad_y.data(), b, c_, s_, gamma_.data(), eps_,
                            running_mean_.data(), running_var_.data(), grad_x.data(), gg.data(),
                            gb);
  }
  if (affine_) {
    const float k = alpha_ * v_threshold_;
    for (int64_t ch = 0; ch < c_; ++ch) grad_weight_[ch] += k * gg[ch];
  }
  x_hat_ = Tensor();
  inv_std_ = Tensor();
  x_eval_ = Tensor();
  return grad_x;
}

std::unique_ptr<Layer> make_tdbn(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const float alpha = config.get_float("alpha", 1.f);
  config.require(std::isfinite(alpha) && alpha > 0.f, "alpha", "must be > 0, got ", alpha);
  const float vth = config.get_float("v_threshold", 1.f);
  config.require(std::isfinite(vth) && vth > 0.f, "v_threshold",
                 "must be > 0 (the neurons' threshold that scales the output), got ", vth);
  const float eps = config.get_float("eps", 1e-5f);
  config.require(eps > 0.f, "eps", "must be > 0, got ", eps);
  const float momentum = config.get_float("momentum", 0.1f);
  config.require(momentum >= 0.f && momentum <= 1.f, "momentum", "must be in [0, 1], got ",
                 momentum);
  const bool affine = config.get_bool("affine", true);
  return std::make_unique<TdBatchNormLayer>(in[0], alpha, vth, eps, momentum, affine);
}

}  // namespace soma
