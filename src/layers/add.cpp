#include "soma/layers/add.hpp"

namespace soma {

Shape AddLayer::output_shape_multi(const std::vector<Shape>& in) const {
  SOMA_CHECK_AS(ShapeError, in.size() >= 2, "add: expected two or more inputs, got ", in.size());
  for (size_t i = 1; i < in.size(); ++i)
    SOMA_CHECK_AS(ShapeError, in[i] == in[0], "add: all inputs must have the same per-step shape; "
                  "input 0 is ", in[0].str(), ", input ", i, " is ", in[i].str());
  return in[0];
}

Tensor AddLayer::forward_multi(const std::vector<Tensor>& xs, RunContext& /*ctx*/) {
  SOMA_CHECK_AS(ShapeError, xs.size() >= 2, "add: expected two or more inputs, got ", xs.size());
  for (size_t i = 1; i < xs.size(); ++i)
    SOMA_CHECK_AS(ShapeError, xs[i].shape() == xs[0].shape(), "add: input 0 is ",
                  xs[0].shape().str(), ", input ", i, " is ", xs[i].shape().str());
  Tensor y = xs[0].clone();
  float* py = y.data();
  const int64_t n = y.numel();
  for (size_t i = 1; i < xs.size(); ++i) {
    const float* px = xs[i].data();
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t j = 0; j < n; ++j) py[j] += px[j];
  }
  inputs_ = xs.size();
  return y;
}

std::vector<Tensor> AddLayer::backward_multi(const Tensor& grad_y, RunContext& /*ctx*/) {
  SOMA_CHECK(inputs_ >= 2, "add: backward() called without a forward() before it");
  // Separate buffers: the model may accumulate into each input's gradient in place.
  std::vector<Tensor> grads{grad_y};
  for (size_t i = 1; i < inputs_; ++i) grads.push_back(grad_y.clone());
  return grads;
}

std::unique_ptr<Layer> make_add(const ConfigNode& /*config*/, const std::vector<Shape>& in) {
  auto layer = std::make_unique<AddLayer>();
  layer->output_shape_multi(in);
  return layer;
}

}  // namespace soma
