#include "soma/layers/pool2d.hpp"

#include "soma/layers/window.hpp"

namespace soma {

Pool2dLayer::Pool2dLayer(Kind kind, const Pool2dGeometry& geometry)
    : kind_(kind), geom_(geometry) {}

Pool2dGeometry Pool2dLayer::geometry_for(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in.rank() == 3, type(), ": expected a per-step input [C, H, W], got ",
                in.str());
  Pool2dGeometry g = geom_;
  g.h = in[1];
  g.w = in[2];
  SOMA_CHECK_AS(ShapeError, g.h + 2 * g.ph >= g.kh && g.w + 2 * g.pw >= g.kw, type(), ": input ",
                in.str(), " is smaller than the kernel [", g.kh, ", ", g.kw, "]");
  return g;
}

Shape Pool2dLayer::output_shape(const Shape& in) const {
  const Pool2dGeometry g = geometry_for(in);
  return Shape{in[0], g.h_out(), g.w_out()};
}

Tensor Pool2dLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() == 5, type(), ": expected a window [T, N, C, H, W], got ",
                x.shape().str());
  const Shape in = x.shape().drop_front(2);
  const Pool2dGeometry g = geometry_for(in);
  const int64_t planes = x.dim(0) * x.dim(1) * x.dim(2);
  Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), x.dim(2), g.h_out(), g.w_out()});
  // Recomputed (model.recompute): the winners live only from the recompute to backward.
  release_argmax_ = ctx.recomputing || !ctx.keep_for_backward;
  if (ctx.training() && !ctx.keep_for_backward) release_winners();
  if (kind_ == Kind::kMax) {
    if (!ctx.keep())
      maxpool2d_forward(x.data(), planes, g, y.data(), static_cast<uint8_t*>(nullptr));
    else if (byte_offsets()) {
      argmax_u8_.resize(y.numel());
      maxpool2d_forward(x.data(), planes, g, y.data(), argmax_u8_.data());
    } else {
      argmax_.resize(y.numel());
      maxpool2d_forward(x.data(), planes, g, y.data(), argmax_.data());
    }
  } else {
    avgpool2d_forward(x.data(), planes, g, y.data());
  }
  cached_ = ctx.keep();
  if (cached_) x_shape_ = x.shape();
  return y;
}

Tensor Pool2dLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(cached_, type(), ": backward() called without a forward() in training mode");
  const Pool2dGeometry g = geometry_for(x_shape_.drop_front(2));
  check_window(grad_y, Shape{x_shape_[2], g.h_out(), g.w_out()}, type());
  const int64_t planes = x_shape_[0] * x_shape_[1] * x_shape_[2];
  Tensor grad_x = Tensor::empty(x_shape_);
  if (kind_ == Kind::kMax && byte_offsets())
    maxpool2d_backward(grad_y.data(), argmax_u8_.data(), planes, g, grad_x.data());
  else if (kind_ == Kind::kMax)
    maxpool2d_backward(grad_y.data(), argmax_.data(), planes, g, grad_x.data());
  else
    avgpool2d_backward(grad_y.data(), planes, g, grad_x.data());
  cached_ = false;
  if (release_argmax_) release_winners();
  return grad_x;
}

void Pool2dLayer::release_winners() {
  std::vector<int32_t>().swap(argmax_);
  std::vector<uint8_t>().swap(argmax_u8_);
}

namespace {
std::unique_ptr<Layer> make_pool(Pool2dLayer::Kind kind, const ConfigNode& c,
                                 const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  Pool2dGeometry g;
  if (!c.has("kernel")) c.fail("missing required key 'kernel' (an int or [kh, kw])");
  std::vector<int64_t> k = c.get_ints("kernel", 2, {});
  c.require(k[0] > 0 && k[1] > 0, "kernel", "must be > 0, got [", k[0], ", ", k[1], "]");
  std::vector<int64_t> s = c.get_ints("stride", 2, k);
  c.require(s[0] > 0 && s[1] > 0, "stride", "must be > 0, got [", s[0], ", ", s[1], "]");
  std::vector<int64_t> p = c.get_ints("padding", 2, {0, 0});
  c.require(p[0] >= 0 && p[1] >= 0 && 2 * p[0] <= k[0] && 2 * p[1] <= k[1], "padding",
            "must be in [0, kernel/2], got [", p[0], ", ", p[1], "] for kernel [", k[0], ", ",
            k[1], "]");
  g.kh = k[0];
  g.kw = k[1];
  g.sh = s[0];
  g.sw = s[1];
  g.ph = p[0];
  g.pw = p[1];
  auto layer = std::make_unique<Pool2dLayer>(kind, g);
  layer->output_shape(in[0]);  // shape errors at build time
  return layer;
}
}  // namespace

std::unique_ptr<Layer> make_maxpool2d(const ConfigNode& config, const std::vector<Shape>& in) {
  return make_pool(Pool2dLayer::Kind::kMax, config, in);
}

std::unique_ptr<Layer> make_avgpool2d(const ConfigNode& config, const std::vector<Shape>& in) {
  return make_pool(Pool2dLayer::Kind::kAvg, config, in);
}

}  // namespace soma
