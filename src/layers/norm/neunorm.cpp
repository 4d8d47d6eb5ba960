#include "soma/layers/neunorm.hpp"

#include "soma/layers/window.hpp"

namespace soma {

NeuNormLayer::NeuNormLayer(const Shape& in, float decay, bool mean_scale, AlphaShape alpha_shape)
    : in_(in), decay_(decay), alpha_shape_(alpha_shape) {
  SOMA_CHECK_AS(ShapeError, in.rank() >= 1 && in[0] >= 1, "neunorm: expected a per-step input [C, ...]");
  c_ = in[0];
  s_ = in.numel_from(1);
  const double f = double(c_);
  coef_ = static_cast<float>(mean_scale ? (1.0 - decay) / f : (1.0 - decay) / (f * f));
}

Shape NeuNormLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in == in_, "neunorm: expected per-step input ", in_.str(), ", got ",
                in.str());
  return in;
}

std::vector<ParamSpec> NeuNormLayer::param_specs() const {
  Shape shape = alpha_shape_ == AlphaShape::kChw ? in_ : (in_.rank() > 1 ? in_.drop_front(1)
                                                                          : Shape{1});
  // torch's fan_in of a [C, H, W] tensor is H*W (dim 1 times the rest); of [H, W] it is W.
  const int64_t fan_in = shape.rank() > 1 ? shape.numel_from(1) : 1;
  return {{"alpha", shape, Init::kaiming_uniform(fan_in), true}};
}

void NeuNormLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == 1u, "neunorm: ", views.size(), " param views");
  alpha_ = views[0].value;
  grad_alpha_ = views[0].grad;
}

Tensor NeuNormLayer::forward(const Tensor& x, RunContext& ctx) {
  check_window(x, in_, type());
  SOMA_ASSERT(alpha_.defined(), "neunorm: params not bound");
  const int64_t T = x.dim(0), N = x.dim(1), C = c_, S = s_;
  Tensor y = Tensor::empty(x.shape());
  Tensor v = Tensor::empty(Shape{T, N, S});
  const float* px = x.data();
  const float* pa = alpha_.data();
  float* py = y.data();
  float* pv = v.data();
  const bool chw = alpha_shape_ == AlphaShape::kChw;
  const float k = decay_, coef = coef_;
#pragma omp parallel for schedule(static) if (T * N * C * S > (1 << 15))
  for (int64_t n = 0; n < N; ++n) {
    std::vector<float> state(S, 0.f), sum(S);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t base = (t * N + n) * C * S;
      std::fill(sum.begin(), sum.end(), 0.f);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t p = 0; p < S; ++p) sum[p] += px[base + c * S + p];
      float* vt = pv + (t * N + n) * S;
      for (int64_t p = 0; p < S; ++p) {
        state[p] = k * state[p] + coef * sum[p];
        vt[p] = state[p];
      }
      for (int64_t c = 0; c < C; ++c) {
        const float* a = pa + (chw ? c * S : 0);
        for (int64_t p = 0; p < S; ++p) py[base + c * S + p] = px[base + c * S + p] - a[p] * vt[p];
      }
    }
  }
  v_ = ctx.training() ? v : Tensor();
  return y;
}

Tensor NeuNormLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  check_window(grad_y, in_, type());
  check_cached(v_, type());
  const int64_t T = grad_y.dim(0), N = grad_y.dim(1), C = c_, S = s_;
  SOMA_CHECK_AS(ShapeError, v_.dim(0) == T && v_.dim(1) == N, "neunorm: grad_y ",
                grad_y.shape().str(), " does not match the forward window");
  Tensor gx = Tensor::empty(grad_y.shape());
  const float* pg = grad_y.data();
  const float* pa = alpha_.data();
  const float* pv = v_.data();
  float* px = gx.data();
  const bool chw = alpha_shape_ == AlphaShape::kChw;
  const float k = decay_, coef = coef_;
#pragma omp parallel for schedule(static) if (T * N * C * S > (1 << 15))
  for (int64_t n = 0; n < N; ++n) {
    std::vector<float> gv(S, 0.f), direct(S);
    for (int64_t t = T - 1; t >= 0; --t) {
      const int64_t base = (t * N + n) * C * S;
      std::fill(direct.begin(), direct.end(), 0.f);
      for (int64_t c = 0; c < C; ++c) {
        const float* a = pa + (chw ? c * S : 0);
        for (int64_t p = 0; p < S; ++p) direct[p] -= a[p] * pg[base + c * S + p];
      }
      for (int64_t p = 0; p < S; ++p) gv[p] = direct[p] + k * gv[p];
      for (int64_t c = 0; c < C; ++c)
        for (int64_t p = 0; p < S; ++p) px[base + c * S + p] = pg[base + c * S + p] + coef * gv[p];
    }
  }
  // g_alpha[c, p] = -sum_{t, n} g_y v, each (c, p) summed serially in double.
  std::vector<double> ga(C * S, 0.0);
#pragma omp parallel for schedule(static) if (T * N * C * S > (1 << 15))
  for (int64_t cp = 0; cp < C * S; ++cp) {
    const int64_t c = cp / S, p = cp % S;
    double acc = 0.0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < N; ++n)
        acc += double(pg[((t * N + n) * C + c) * S + p]) * pv[(t * N + n) * S + p];
    ga[cp] = -acc;
  }
  float* gal = grad_alpha_.data();
  if (chw) {
    for (int64_t cp = 0; cp < C * S; ++cp) gal[cp] += static_cast<float>(ga[cp]);
  } else {
    for (int64_t p = 0; p < S; ++p) {
      double acc = 0.0;
      for (int64_t c = 0; c < C; ++c) acc += ga[c * S + p];
      gal[p] += static_cast<float>(acc);
    }
  }
  v_ = Tensor();
  return gx;
}

std::unique_ptr<Layer> make_neunorm(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const float decay = config.get_float("decay", 0.9f);
  config.require(decay >= 0.f && decay < 1.f, "decay",
                 "must be in [0, 1) (the auxiliary neuron's leak k_tau2), got ", decay);
  const bool mean = config.get_choice("aux_scale", {"spikingjelly", "mean"}, "spikingjelly") == "mean";
  const auto shape = config.get_choice("alpha_shape", {"chw", "hw"}, "chw") == "chw"
                         ? NeuNormLayer::AlphaShape::kChw
                         : NeuNormLayer::AlphaShape::kHw;
  SOMA_CHECK_AS(ShapeError, in[0].rank() >= 1, "neunorm: expected a per-step input [C, ...], got ",
                in[0].str());
  return std::make_unique<NeuNormLayer>(in[0], decay, mean, shape);
}

}  // namespace soma
