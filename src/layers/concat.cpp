#include "soma/layers/concat.hpp"

#include <algorithm>

namespace soma {

Shape ConcatLayer::output_shape_multi(const std::vector<Shape>& in) const {
  SOMA_CHECK_AS(ShapeError, in.size() >= 2, "concat: expected two or more inputs, got ",
                in.size());
  SOMA_CHECK_AS(ShapeError, in[0].rank() >= 1, "concat: inputs need rank >= 1 per step");
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    SOMA_CHECK_AS(ShapeError, in[i].rank() == in[0].rank() && in[i].drop_front(1) == in[0].drop_front(1),
                  "concat: inputs must agree on all but the first per-step axis; input 0 is ",
                  in[0].str(), ", input ", i, " is ", in[i].str());
    out[0] += in[i][0];
  }
  return out;
}

Tensor ConcatLayer::forward_multi(const std::vector<Tensor>& xs, RunContext& /*ctx*/) {
  std::vector<Shape> steps;
  for (const auto& x : xs) {
    SOMA_CHECK_AS(ShapeError, x.rank() >= 3 && x.dim(0) == xs[0].dim(0) && x.dim(1) == xs[0].dim(1),
                  "concat: expected windows [T, N, C, ...] with equal T and N, got ",
                  x.shape().str(), " and ", xs[0].shape().str());
    steps.push_back(x.shape().drop_front(2));
  }
  const Shape out = output_shape_multi(steps);
  const int64_t b = xs[0].dim(0) * xs[0].dim(1), out_size = out.numel();
  Tensor y = Tensor::empty(out.prepend({xs[0].dim(0), xs[0].dim(1)}));
#pragma omp parallel for schedule(static) if (b * out_size > (1 << 16))
  for (int64_t n = 0; n < b; ++n) {
    float* dst = y.data() + n * out_size;
    for (const auto& x : xs) {
      const int64_t sz = x.numel() / b;
      std::copy(x.data() + n * sz, x.data() + (n + 1) * sz, dst);
      dst += sz;
    }
  }
  in_shapes_.clear();
  for (const auto& x : xs) in_shapes_.push_back(x.shape());
  return y;
}

std::vector<Tensor> ConcatLayer::backward_multi(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(in_shapes_.size() >= 2, "concat: backward() called without a forward() before it");
  const int64_t b = in_shapes_[0][0] * in_shapes_[0][1];
  const int64_t out_size = grad_y.numel() / b;
  std::vector<Tensor> grads;
  int64_t offset = 0;
  for (const auto& s : in_shapes_) {
    Tensor g = Tensor::empty(s);
    const int64_t sz = s.numel() / b;
    for (int64_t n = 0; n < b; ++n)
      std::copy(grad_y.data() + n * out_size + offset, grad_y.data() + n * out_size + offset + sz,
                g.data() + n * sz);
    offset += sz;
    grads.push_back(g);
  }
  SOMA_CHECK_AS(ShapeError, offset == out_size, "concat: grad_y ", grad_y.shape().str(),
                " does not match the inputs");
  in_shapes_.clear();
  return grads;
}

std::unique_ptr<Layer> make_concat(const ConfigNode& /*config*/, const std::vector<Shape>& in) {
  auto layer = std::make_unique<ConcatLayer>();
  layer->output_shape_multi(in);
  return layer;
}

}  // namespace soma
