#include "soma/layers/flatten.hpp"

#include "soma/layers/window.hpp"

namespace soma {

Shape FlattenLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in.rank() >= 1, "flatten: expected a per-step input of rank >= 1");
  SOMA_CHECK_AS(ShapeError, in == in_, "flatten: expected per-step input ", in_.str(), ", got ",
                in.str());
  return Shape{in.numel()};
}

Tensor FlattenLayer::forward(const Tensor& x, RunContext& /*ctx*/) {
  check_window(x, in_, type());
  return x.reshape(Shape{x.dim(0), x.dim(1), in_.numel()});
}

Tensor FlattenLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  check_window(grad_y, Shape{in_.numel()}, type());
  return grad_y.reshape(in_.prepend({grad_y.dim(0), grad_y.dim(1)}));
}

std::unique_ptr<Layer> make_flatten(const ConfigNode& /*config*/, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  SOMA_CHECK_AS(ShapeError, in[0].rank() >= 1, "flatten: expected a per-step input of rank >= 1");
  return std::make_unique<FlattenLayer>(in[0]);
}

}  // namespace soma
