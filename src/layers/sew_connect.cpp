#include "soma/layers/sew_connect.hpp"

namespace soma {

namespace {
constexpr int64_t kParallel = 1 << 16;
}

Shape SewConnectLayer::output_shape_multi(const std::vector<Shape>& in) const {
  SOMA_CHECK_AS(ShapeError, in.size() == 2, "sew_connect: expected two inputs (branch, shortcut), got ",
                in.size());
  SOMA_CHECK_AS(ShapeError, in[0] == in[1], "sew_connect: the branch ", in[0].str(),
                " and the shortcut ", in[1].str(), " must have the same per-step shape");
  return in[0];
}

Tensor SewConnectLayer::forward_multi(const std::vector<Tensor>& xs, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, xs.size() == 2 && xs[0].shape() == xs[1].shape(),
                "sew_connect: expected two inputs of the same shape");
  const Tensor& a = xs[0];
  const Tensor& s = xs[1];
  Tensor y = Tensor::empty(a.shape());
  const float* pa = a.data();
  const float* ps = s.data();
  float* py = y.data();
  const int64_t n = a.numel();
  switch (connect_) {
    case SewConnect::kAdd:
#pragma omp parallel for simd schedule(static) if (n > kParallel)
      for (int64_t i = 0; i < n; ++i) py[i] = pa[i] + ps[i];
      break;
    case SewConnect::kAnd:
#pragma omp parallel for simd schedule(static) if (n > kParallel)
      for (int64_t i = 0; i < n; ++i) py[i] = pa[i] * ps[i];
      break;
    case SewConnect::kIand:
#pragma omp parallel for simd schedule(static) if (n > kParallel)
      for (int64_t i = 0; i < n; ++i) py[i] = (1.f - pa[i]) * ps[i];
      break;
  }
  if (ctx.training() && connect_ != SewConnect::kAdd) {
    a_ = a;
    s_ = s;
  } else {
    a_ = Tensor();
    s_ = Tensor();
  }
  ran_ = true;
  return y;
}

std::vector<Tensor> SewConnectLayer::backward_multi(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(ran_, "sew_connect: backward() called without a forward() before it");
  ran_ = false;
  if (connect_ == SewConnect::kAdd) return {grad_y, grad_y.clone()};
  SOMA_CHECK(a_.defined(), "sew_connect: backward() needs a training-mode forward()");
  Tensor ga = Tensor::empty(grad_y.shape()), gs = Tensor::empty(grad_y.shape());
  const float* g = grad_y.data();
  const float* pa = a_.data();
  const float* ps = s_.data();
  float* qa = ga.data();
  float* qs = gs.data();
  const int64_t n = grad_y.numel();
  if (connect_ == SewConnect::kAnd) {
#pragma omp parallel for simd schedule(static) if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) {
      qa[i] = g[i] * ps[i];
      qs[i] = g[i] * pa[i];
    }
  } else {
#pragma omp parallel for simd schedule(static) if (n > kParallel)
    for (int64_t i = 0; i < n; ++i) {
      qa[i] = -g[i] * ps[i];
      qs[i] = g[i] * (1.f - pa[i]);
    }
  }
  a_ = Tensor();
  s_ = Tensor();
  return {ga, gs};
}

SewConnect parse_sew_connect(const ConfigNode& config, std::string_view key) {
  const std::string c = config.get_choice(key, {"add", "and", "iand"}, "add");
  return c == "add" ? SewConnect::kAdd : c == "and" ? SewConnect::kAnd : SewConnect::kIand;
}

std::unique_ptr<Layer> make_sew_connect(const ConfigNode& config, const std::vector<Shape>& in) {
  auto layer = std::make_unique<SewConnectLayer>(parse_sew_connect(config, "connect"));
  if (in.size() == 2) layer->output_shape_multi(in);
  return layer;
}

}  // namespace soma
