#include "soma/layers/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "soma/layers/window.hpp"

namespace soma {

Conv2dLayer::Conv2dLayer(const Conv2dGeometry& geometry, bool bias, SparseMode sparse)
    : geom_(geometry), has_bias_(bias), sparse_mode_(sparse) {
  SOMA_ASSERT(geom_.c > 0 && geom_.o > 0 && geom_.groups > 0 && geom_.c % geom_.groups == 0 &&
              geom_.o % geom_.groups == 0);
}

Shape Conv2dLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in.rank() == 3, "conv2d: expected a per-step input [C, H, W], got ",
                in.str());
  SOMA_CHECK_AS(ShapeError, in[0] == geom_.c, "conv2d: expected ", geom_.c,
                " input channels, got ", in.str());
  Conv2dGeometry g = geom_;
  g.h = in[1];
  g.w = in[2];
  SOMA_CHECK_AS(ShapeError, g.h + 2 * g.ph >= g.dh * (g.kh - 1) + 1 &&
                                g.w + 2 * g.pw >= g.dw * (g.kw - 1) + 1,
                "conv2d: input ", in.str(), " is smaller than the dilated kernel [",
                g.dh * (g.kh - 1) + 1, ", ", g.dw * (g.kw - 1) + 1, "] plus padding [", g.ph,
                ", ", g.pw, "]");
  return Shape{g.o, g.h_out(), g.w_out()};
}

std::vector<ParamSpec> Conv2dLayer::param_specs() const {
  const int64_t fan_in = geom_.k_group();
  std::vector<ParamSpec> specs{{"weight", Shape{geom_.o, geom_.c / geom_.groups, geom_.kh, geom_.kw},
                                weight_init_.make(fan_in, geom_.o / geom_.groups * geom_.kh * geom_.kw),
                                true}};
  const float bound = 1.f / std::sqrt(static_cast<float>(fan_in));
  if (has_bias_) specs.push_back({"bias", Shape{geom_.o}, Init::uniform(-bound, bound), true});
  return specs;
}

void Conv2dLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == (has_bias_ ? 2u : 1u), "conv2d: ", views.size(), " param views");
  weight_ = views[0].value;
  grad_weight_ = views[0].grad;
  if (has_bias_) {
    bias_ = views[1].value;
    grad_bias_ = views[1].grad;
  }
}

Tensor Conv2dLayer::forward(const Tensor& x, RunContext& ctx) {
  SOMA_CHECK_AS(ShapeError, x.rank() == 5, "conv2d: expected a window [T, N, C, H, W], got ",
                x.shape().str());
  const Shape out = output_shape(x.shape().drop_front(2));
  SOMA_ASSERT(weight_.defined(), "conv2d: params not bound");
  Conv2dGeometry g = geom_;
  g.h = x.dim(3);
  g.w = x.dim(4);
  const int64_t batch = x.dim(0) * x.dim(1);
  Tensor y = Tensor::empty(out.prepend({x.dim(0), x.dim(1)}));
  const float* b = has_bias_ ? bias_.data() : nullptr;
  x_ = Tensor();
  x_pixels_ = SparsePixels();
  x_shape_ = x.shape();
  last_sparse_ = false;
  const bool always = sparse_mode_ == SparseMode::kAlways;
  // auto: a few sampled images first, so dense inputs cost no full counting pass.
  const double fwd_max = always ? 1.0
                         : sparse_mode_ == SparseMode::kAuto ? sparse_conv2d_forward_max_density(g)
                                                             : -1.0;
  if (sparse_conv2d_supported(g) && fwd_max >= 0.0 &&
      (always || sampled_density(x.data(), batch, x.numel() / std::max<int64_t>(batch, 1)) <=
                     1.5 * fwd_max)) {
    // The weight gradient needs x: through its nonzeros when they are few enough (grad_x does
    // not use x), else densely. Plane lists are built in the same pass when it will use them.
    const double grad_max = !ctx.keep() ? -1.0
                            : always    ? 1.0
                                        : sparse_conv2d_weight_grad_max_density(g, batch);
    SparsePixels px = sparse_pixels(x.data(), batch, g, fwd_max,
                                    sparse_conv2d_plane_weight_grad(g) ? grad_max : -1.0);
    if (px.filled) {
      conv2d_forward_sparse(px, g, weight_.data(), b, y.data());
      last_sparse_ = true;
      const bool sparse_grad = px.density() <= grad_max;
      if (ctx.keep() && sparse_grad) x_pixels_ = std::move(px);
      if (ctx.keep() && !sparse_grad) x_ = x;
      return y;
    }
  }
  conv2d_forward(x.data(), batch, g, weight_.data(), b, y.data());
  if (ctx.keep()) x_ = x;
  return y;
}

Tensor Conv2dLayer::backward(const Tensor& grad_y, RunContext& ctx) {
  if (!x_pixels_.filled) check_cached(x_, type());
  Conv2dGeometry g = geom_;
  g.h = x_shape_[3];
  g.w = x_shape_[4];
  const int64_t batch = check_window(grad_y, output_shape(x_shape_.drop_front(2)), type());
  // Without ctx.need_input_grad (nothing upstream has parameters) grad_x is not computed.
  Tensor grad_x = ctx.need_input_grad ? Tensor::empty(x_shape_) : Tensor();
  float* gx = grad_x.defined() ? grad_x.data() : nullptr;
  float* gb = has_bias_ ? grad_bias_.data() : nullptr;
  if (x_pixels_.filled) {
    SOMA_CHECK(x_pixels_.batch == batch, "conv2d: grad_y has ", batch,
               " images, the forward had ", x_pixels_.batch);
    conv2d_backward(nullptr, grad_y.data(), batch, g, weight_.data(), gx, nullptr, gb);
    conv2d_backward_weight_sparse(x_pixels_, g, grad_y.data(), grad_weight_.data());
    x_pixels_ = SparsePixels();
    return grad_x;
  }
  conv2d_backward(x_.data(), grad_y.data(), batch, g, weight_.data(), gx, grad_weight_.data(),
                  gb);
  x_ = Tensor();
  return grad_x;
}

int64_t Conv2dLayer::synaptic_ops_per_step(const Shape& in) const {
  const Shape out = output_shape(in);
  return out.numel() * geom_.k_group();
}

namespace {
// An int or [h, w], each checked against `min`.
void read_pair(const ConfigNode& c, std::string_view key, int64_t min, int64_t& h, int64_t& w,
               std::vector<int64_t> def) {
  const std::vector<int64_t> v = c.get_ints(key, 2, std::move(def));
  c.require(v[0] >= min && v[1] >= min, key, "must be >= ", min, ", got [", v[0], ", ", v[1],
            "]");
  h = v[0];
  w = v[1];
}
}  // namespace

std::unique_ptr<Layer> make_conv2d(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  Conv2dGeometry g;
  g.o = config.get_int("out_channels");
  config.require(g.o > 0, "out_channels", "must be > 0, got ", g.o);
  if (!config.has("kernel")) config.fail("missing required key 'kernel' (an int or [kh, kw])");
  read_pair(config, "kernel", 1, g.kh, g.kw, {});
  read_pair(config, "stride", 1, g.sh, g.sw, {1, 1});
  read_pair(config, "padding", 0, g.ph, g.pw, {0, 0});
  read_pair(config, "dilation", 1, g.dh, g.dw, {1, 1});
  g.groups = config.get_int("groups", 1);
  config.require(g.groups > 0, "groups", "must be > 0, got ", g.groups);
  config.require(g.o % g.groups == 0, "groups", "out_channels ", g.o,
                 " is not divisible by groups ", g.groups);
  const bool bias = config.get_bool("bias", true);
  const SparseMode mode = read_sparse_mode(config);
  SOMA_CHECK_AS(ShapeError, in[0].rank() == 3, "conv2d: expected a per-step input [C, H, W], got ",
                in[0].str());
  g.c = in[0][0];
  g.h = in[0][1];
  g.w = in[0][2];
  SOMA_CHECK_AS(ShapeError, g.c % g.groups == 0, "conv2d: input channels ", g.c,
                " are not divisible by groups ", g.groups);
  auto layer = std::make_unique<Conv2dLayer>(g, bias, mode);
  layer->set_weight_init(read_weight_init(config));
  layer->output_shape(in[0]);  // size checks now, at build time
  return layer;
}

}  // namespace soma
