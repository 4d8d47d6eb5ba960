#include "soma/layers/batchnorm.hpp"

#include <cmath>

#include "soma/dist/communicator.hpp"
#include "soma/layers/window.hpp"
#include "soma/ops/batchnorm.hpp"

namespace soma {

BatchNormLayer::BatchNormLayer(const Shape& in, float eps, float momentum, bool affine,
                               float gain)
    : in_(in), eps_(eps), momentum_(momentum), affine_(affine), gain_(gain) {
  SOMA_CHECK_AS(ShapeError, in.rank() >= 1, "batchnorm: expected a per-step input [C, ...]");
  c_ = in[0];
  s_ = in.numel_from(1);
}

const float* BatchNormLayer::effective_gamma() {
  if (gain_ == 1.f) return affine_ ? weight_.data() : nullptr;
  gamma_eff_.resize(c_);
  for (int64_t ch = 0; ch < c_; ++ch) gamma_eff_[ch] = gain_ * (affine_ ? weight_[ch] : 1.f);
  return gamma_eff_.data();
}

void BatchNormLayer::eval_affine(std::vector<float>& scale, std::vector<float>& shift) const {
  scale.resize(c_);
  shift.resize(c_);
  for (int64_t ch = 0; ch < c_; ++ch) {
    const double g = double(gain_) * (affine_ ? weight_[ch] : 1.f);
    const double sc = g / std::sqrt(double(running_var_[ch]) + double(eps_));
    scale[ch] = static_cast<float>(sc);
    shift[ch] = static_cast<float>((affine_ ? bias_[ch] : 0.f) - running_mean_[ch] * sc);
  }
}

void BatchNormLayer::fold(std::vector<float> shift) {
  SOMA_CHECK(static_cast<int64_t>(shift.size()) == c_, type(), " fold: ", shift.size(),
             " shifts for ", c_, " channels");
  fold_shift_ = std::move(shift);
  folded_ = true;
}

Shape BatchNormLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in == in_, type(), ": expected per-step input ", in_.str(),
                ", got ", in.str());
  return in;
}

std::vector<ParamSpec> BatchNormLayer::param_specs() const {
  if (!affine_) return {};
  return {{"weight", Shape{c_}, Init::constant(1.f), false},
          {"bias", Shape{c_}, Init::constant(0.f), false}};
}

void BatchNormLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == (affine_ ? 2u : 0u), "batchnorm: ", views.size(), " param views");
  if (!affine_) return;
  weight_ = views[0].value;
  grad_weight_ = views[0].grad;
  bias_ = views[1].value;
  grad_bias_ = views[1].grad;
}

std::vector<BufferSpec> BatchNormLayer::buffer_specs() const {
  return {{"running_mean", Shape{c_}, 0.f}, {"running_var", Shape{c_}, 1.f}};
}

void BatchNormLayer::bind_buffers(const std::vector<BufferView>& views) {
  SOMA_ASSERT(views.size() == 2u, "batchnorm: ", views.size(), " buffer views");
  running_mean_ = views[0].value;
  running_var_ = views[1].value;
}

Tensor BatchNormLayer::forward(const Tensor& x, RunContext& ctx) {
  const int64_t b = check_window(x, in_, type());
  SOMA_ASSERT(running_mean_.defined(), type(), ": buffers not bound");
  // (no output buffer when a recompute discards it)
  Tensor y = ctx.recomputing && ctx.discard_output ? Tensor() : Tensor::empty(x.shape());
  if (folded_) {
    SOMA_CHECK(!ctx.training(), type(), " layer '", name(),
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
    x_train_ = Tensor();
    return y;
  }
  const float* gamma = effective_gamma();
  const float* beta = affine_ ? bias_.data() : nullptr;
  if (!ctx.training()) {
    batchnorm_forward_eval(x.data(), b, c_, s_, gamma, beta, eps_, running_mean_.data(),
                           running_var_.data(), y.data());
    x_eval_ = ctx.keep_for_backward ? x : Tensor();  // pure inference keeps nothing
    x_hat_ = Tensor();
    x_train_ = Tensor();
    sync_comm_ = nullptr;
    return y;
  }
  const int64_t n = b * s_;
  SOMA_CHECK_AS(ShapeError, n > 1, type(), ": training needs more than one value per channel, got ",
                x.shape().str());
  // What backward needs: without synchronised statistics the input x (a handle) with float(mu_B)
  // and 1/sqrt(var_B + eps), from which it recomputes x_hat (ops/batchnorm.hpp); with them x_hat.
  // model.recompute: the first forward keeps only the batch statistics (2 C values); the
  // recompute normalises with them again (bit-identical, no collective, no running update).
  x_hat_ = Tensor();
  x_train_ = Tensor();
  auto keep_input = [&](const double* mu) {
    x_train_ = x;
    mean_f_ = Tensor::empty(Shape{c_});
    for (int64_t ch = 0; ch < c_; ++ch) mean_f_[ch] = static_cast<float>(mu[ch]);
  };
  if (ctx.recomputing) {
    SOMA_ASSERT(inv_std_.defined() && static_cast<int64_t>(batch_mean_.size()) == c_, type(),
                " layer '", name(), "': recomputed without a training forward before it");
    if (!sync_comm_) {
      keep_input(batch_mean_.data());
      if (ctx.discard_output) return Tensor();
    } else {
      x_hat_ = Tensor::empty(x.shape());
      if (!y.defined()) y = Tensor::empty(x.shape());  // the kernel writes x_hat with y
    }
    batchnorm_normalize(x.data(), b, c_, s_, gamma, beta, batch_mean_.data(), inv_std_.data(),
                        y.data(), x_hat_.defined() ? x_hat_.data() : nullptr);
    return ctx.discard_output ? Tensor() : y;
  }
  std::vector<double> mean(c_), var(c_);
  inv_std_ = Tensor::empty(Shape{c_});
  double count = double(n);
  sync_comm_ = ctx.comm && ctx.comm->size() > 1 ? ctx.comm : nullptr;
  if (sync_comm_) {
    if (ctx.keep_for_backward) x_hat_ = Tensor::empty(x.shape());
    // Global statistics: [sums per channel, count] summed over ranks, then the squared
    // deviations from the global mean (two passes: no cancellation, as in one process).
    std::vector<double> sums(c_ + 1);
    batchnorm_channel_sums(x.data(), b, c_, s_, sums.data());
    sums[c_] = double(n);
    sync_comm_->allreduce_sum(sums.data(), c_ + 1);
    count = sums[c_];
    for (int64_t ch = 0; ch < c_; ++ch) mean[ch] = sums[ch] / count;
    batchnorm_channel_sq_dev(x.data(), b, c_, s_, mean.data(), var.data());
    sync_comm_->allreduce_sum(var.data(), c_);
    for (int64_t ch = 0; ch < c_; ++ch) {
      var[ch] /= count;
      inv_std_[ch] = static_cast<float>(1.0 / std::sqrt(var[ch] + double(eps_)));
    }
    batchnorm_normalize(x.data(), b, c_, s_, gamma, beta, mean.data(), inv_std_.data(), y.data(),
                        x_hat_.defined() ? x_hat_.data() : nullptr);
    sync_count_ = count;
  } else {
    batchnorm_forward_train(x.data(), b, c_, s_, gamma, beta, eps_, y.data(), nullptr,
                            mean.data(), var.data(), inv_std_.data());
    if (ctx.keep_for_backward) keep_input(mean.data());
  }
  if (!ctx.keep_for_backward) batch_mean_ = mean;
  batchnorm_update_running(running_mean_.data(), running_var_.data(), mean.data(), var.data(), c_,
                           momentum_, count);
  x_eval_ = Tensor();
  return y;
}

Tensor BatchNormLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  const int64_t b = check_window(grad_y, in_, type());
  SOMA_CHECK(!folded_, type(), " layer '", name(), "' is folded (inference only)");
  Tensor grad_x = Tensor::empty(grad_y.shape());
  const float* gamma = gain_ == 1.f ? (affine_ ? weight_.data() : nullptr) : gamma_eff_.data();
  // The ops accumulate d/d(gamma_eff); gamma's gradient is gain times that.
  std::vector<float> gg_eff;
  float* gg = nullptr;
  if (affine_) {
    if (gain_ == 1.f) {
      gg = grad_weight_.data();
    } else {
      gg_eff.assign(c_, 0.f);
      gg = gg_eff.data();
    }
  }
  float* gb = affine_ ? grad_bias_.data() : nullptr;
  if (x_hat_.defined() && sync_comm_) {
    // [sum grad_y, sum grad_y x_hat] per channel over all ranks; the param grads take the local
    // sums (the trainer averages param grads across ranks).
    std::vector<double> sums(2 * c_);
    batchnorm_grad_sums(grad_y.data(), x_hat_.data(), b, c_, s_, sums.data(), sums.data() + c_);
    for (int64_t ch = 0; ch < c_; ++ch) {
      if (gg) gg[ch] += static_cast<float>(sums[c_ + ch]);
      if (gb) gb[ch] += static_cast<float>(sums[ch]);
    }
    sync_comm_->allreduce_sum(sums.data(), 2 * c_);
    batchnorm_backward_apply(grad_y.data(), x_hat_.data(), inv_std_.data(), b, c_, s_, gamma,
                             sync_count_, sums.data(), sums.data() + c_, grad_x.data());
  } else if (x_hat_.defined()) {
    batchnorm_backward_train(grad_y.data(), x_hat_.data(), inv_std_.data(), b, c_, s_, gamma,
                             grad_x.data(), gg, gb);
  } else if (x_train_.defined()) {
    batchnorm_backward_train_from_input(grad_y.data(), x_train_.data(), mean_f_.data(),
                                        inv_std_.data(), b, c_, s_, gamma, grad_x.data(), gg, gb);
  } else {
    SOMA_CHECK(x_eval_.defined(), type(), ": backward() called without a forward() before it");
    batchnorm_backward_eval(x_eval_.data(), grad_y.data(), b, c_, s_, gamma, eps_,
                            running_mean_.data(), running_var_.data(), grad_x.data(), gg, gb);
  }
  if (!gg_eff.empty())
    for (int64_t ch = 0; ch < c_; ++ch) grad_weight_[ch] += gain_ * gg_eff[ch];
  x_hat_ = Tensor();
  x_train_ = Tensor();
  mean_f_ = Tensor();
  inv_std_ = Tensor();
  x_eval_ = Tensor();
  sync_comm_ = nullptr;
  batch_mean_.clear();
  return grad_x;
}

std::unique_ptr<Layer> make_batchnorm(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const float eps = config.get_float("eps", 1e-5f);
  config.require(eps > 0.f, "eps", "must be > 0, got ", eps);
  const float momentum = config.get_float("momentum", 0.1f);
  config.require(momentum >= 0.f && momentum <= 1.f, "momentum", "must be in [0, 1], got ",
                 momentum);
  const bool affine = config.get_bool("affine", true);
  return std::make_unique<BatchNormLayer>(in[0], eps, momentum, affine);
}

}  // namespace soma
