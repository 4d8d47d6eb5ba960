#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("flatten reshapes without copying", "[layers][flatten]") {
  auto layer = build_layer("{type: flatten}", {Shape{2, 3, 4}});
  CHECK(layer->output_shape(Shape{2, 3, 4}) == Shape({24}));
  Tensor x = random_tensor(Shape{2, 3, 2, 3, 4}, 1);
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  CHECK(y.shape() == Shape({2, 3, 24}));
  CHECK(y.data() == x.data());
  Tensor gx = layer->backward(y, ctx);
  CHECK(gx.shape() == x.shape());
  BoundLayer b = bind_for_test(*layer);
  CHECK(check_gradients(*layer, b, x) == 0);
  CHECK_THROWS_AS(layer->output_shape(Shape{2, 3, 5}), ShapeError);
}
