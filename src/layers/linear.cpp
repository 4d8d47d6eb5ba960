#include "soma/layers/linear.hpp"

#include <cmath>

#include "soma/layers/window.hpp"
#include "soma/ops/linear.hpp"

namespace soma {

namespace {
void check_vector_input(const Shape& in, int64_t features) {
  SOMA_CHECK_AS(ShapeError, in.rank() == 1,
                "linear: expected a per-step vector input [F], got ", in.str(),
                "; add a `flatten` layer before it");
  SOMA_CHECK_AS(ShapeError, features < 0 || in[0] == features, "linear: expected input [",
                features, "], got ", in.str());
}
}  // namespace

LinearLayer::LinearLayer(int64_t in_features, int64_t out_features, bool bias, SparseMode sparse)
    : in_(in_features), out_(out_features), has_bias_(bias), sparse_mode_(sparse) {
  SOMA_ASSERT(in_ > 0 && out_ > 0);
}

Shape LinearLayer::output_shape(const Shape& in) const {
  check_vector_input(in, in_);
  return Shape{out_};
}

std::vector<ParamSpec> LinearLayer::param_specs() const {
  std::vector<ParamSpec> specs{{"weight", Shape{out_, in_}, weight_init_.make(in_, out_), true}};
  const float bound = 1.f / std::sqrt(static_cast<float>(in_));
  if (has_bias_) specs.push_back({"bias", Shape{out_}, Init::uniform(-bound, bound), true});
  return specs;
}

void LinearLayer::bind_params(const std::vector<ParamView>& views) {
  SOMA_ASSERT(views.size() == (has_bias_ ? 2u : 1u), "linear: ", views.size(), " param views");
  weight_ = views[0].value;
  grad_weight_ = views[0].grad;
  if (has_bias_) {
    bias_ = views[1].value;
    grad_bias_ = views[1].grad;
  }
}

Tensor LinearLayer::forward(const Tensor& x, RunContext& ctx) {
  const int64_t m = check_window(x, Shape{in_}, type());
  SOMA_ASSERT(weight_.defined(), "linear: params not bound");
  Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), out_});
  const float* b = has_bias_ ? bias_.data() : nullptr;
  x_rows_ = SparseRows();
  x_ = Tensor();
  last_sparse_ = false;
  // auto: only for layers with at least one full 64-column block of outputs; below that the
  // dense product is cheaper than building the input's CSR (measured, 800 -> 10: 0.1 ms dense).
  const bool try_sparse = sparse_mode_ == SparseMode::kAlways ||
                          (sparse_mode_ == SparseMode::kAuto && out_ >= kSparseLinearMinOutputs);
  if (try_sparse) {
    const double max_density = sparse_mode_ == SparseMode::kAlways ? 1.0 : kSparseLinearMaxDensity;
    SparseRows rows = sparse_rows(x.data(), m, in_, max_density);
    if (rows.filled) {
      linear_forward_sparse(rows, weight_.data(), b, out_, y.data());
      last_sparse_ = true;
      // The weight gradient needs x: through its nonzeros when they are few enough (grad_x =
      // grad_y W does not use x), else densely.
      const bool sparse_grad = sparse_mode_ == SparseMode::kAlways ||
                               rows.density() <= sparse_weight_grad_max_density(out_);
      if (ctx.keep() && sparse_grad) x_rows_ = std::move(rows);
      if (ctx.keep() && !sparse_grad) x_ = x;
      return y;
    }
  }
  linear_forward(x.data(), m, in_, weight_.data(), b, out_, y.data());
  if (ctx.keep()) x_ = x;
  return y;
}

Tensor LinearLayer::backward(const Tensor& grad_y, RunContext& ctx) {
  const int64_t m = check_window(grad_y, Shape{out_}, type());
  float* gb = has_bias_ ? grad_bias_.data() : nullptr;
  // Without ctx.need_input_grad (nothing upstream has parameters) grad_x is not computed.
  Tensor grad_x =
      ctx.need_input_grad ? Tensor::empty(Shape{grad_y.dim(0), grad_y.dim(1), in_}) : Tensor();
  float* gx = grad_x.defined() ? grad_x.data() : nullptr;
  if (x_rows_.filled) {
    SOMA_CHECK(x_rows_.rows == m, "linear: grad_y has ", m, " rows, the forward had ",
               x_rows_.rows);
    linear_backward(nullptr, grad_y.data(), m, in_, weight_.data(), out_, gx, nullptr, gb);
    linear_backward_weight_sparse(x_rows_, grad_y.data(), out_, grad_weight_.data());
    x_rows_ = SparseRows();
    return grad_x;
  }
  check_cached(x_, type());
  linear_backward(x_.data(), grad_y.data(), m, in_, weight_.data(), out_, gx,
                  grad_weight_.data(), gb);
  x_ = Tensor();
  return grad_x;
}

int64_t LinearLayer::synaptic_ops_per_step(const Shape& /*in*/) const { return in_ * out_; }

std::unique_ptr<Layer> make_linear(const ConfigNode& config, const std::vector<Shape>& in) {
  const int64_t out = config.get_int("out_features");
  config.require(out > 0, "out_features", "must be > 0, got ", out);
  const bool bias = config.get_bool("bias", true);
  const SparseMode mode = read_sparse_mode(config);
  SOMA_ASSERT(in.size() == 1);
  check_vector_input(in[0], -1);
  auto layer = std::make_unique<LinearLayer>(in[0][0], out, bias, mode);
  layer->set_weight_init(read_weight_init(config));
  return layer;
}

}  // namespace soma
