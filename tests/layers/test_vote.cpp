#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("vote averages consecutive groups", "[layers][vote]") {
  auto layer = build_layer("{type: vote, groups: 3}", {Shape{6}});
  CHECK(layer->output_shape(Shape{6}) == Shape({2}));
  Tensor x(Shape{1, 1, 6});
  for (int i = 0; i < 6; ++i) x[i] = float(i);
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  CHECK(y[0] == Approx(1.f));
  CHECK(y[1] == Approx(4.f));
  BoundLayer b = bind_for_test(*layer);
  CHECK(check_gradients(*layer, b, random_tensor(Shape{2, 3, 6}, 1)) == 0);
  CHECK_THROWS_AS(build_layer("{type: vote, groups: 4}", {Shape{6}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: vote, groups: 2}", {Shape{2, 3}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: vote, groups: 0}", {Shape{6}}), ConfigError);
}
