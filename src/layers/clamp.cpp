#include "soma/layers/clamp.hpp"

#include <algorithm>
#include <cmath>

#include "soma/layers/window.hpp"

namespace soma {

ClampLayer::ClampLayer(float lo, float hi) : lo_(lo), hi_(hi) { SOMA_ASSERT(lo_ < hi_); }

Tensor ClampLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2, "clamp: expected a window [T, N, ...], got ",
                x.shape().str());
  if (ctx.keep()) x_ = x;
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) py[i] = std::min(std::max(px[i], lo_), hi_);
  return y;
}

Tensor ClampLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  check_cached(x_, type());
  SOMA_CHECK_AS(ShapeError, grad_y.shape() == x_.shape(), "clamp: grad_y ", grad_y.shape().str(),
                " does not match the input ", x_.shape().str());
  Tensor grad_x = Tensor::empty(x_.shape());
  const float* px = x_.data();
  const float* g = grad_y.data();
  float* gx = grad_x.data();
  const int64_t n = x_.numel();
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) gx[i] = (px[i] >= lo_ && px[i] <= hi_) ? g[i] : 0.f;
  x_ = Tensor();
  return grad_x;
}

std::unique_ptr<Layer> make_clamp(const ConfigNode& config, const std::vector<Shape>& /*in*/) {
  const float lo = config.get_float("min", 0.f);
  const float hi = config.get_float("max", 1.f);
  config.require(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "max",
                 "clamp needs finite min < max, got min ", lo, ", max ", hi);
  return std::make_unique<ClampLayer>(lo, hi);
}

}  // namespace soma
