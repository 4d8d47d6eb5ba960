#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "soma/layers/activation.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("activation layers: gradients match finite differences", "[layers][activation][grad]") {
  for (const char* yaml : {"{type: relu}", "{type: leaky_relu, negative_slope: 0.2}", "{type: selu}",
                           "{type: sigmoid}", "{type: tanh}", "{type: identity}"}) {
    INFO(yaml);
    auto layer = build_layer(yaml, {Shape{2, 3}});
    BoundLayer b = bind_for_test(*layer);
    // Distinct values 0.05 apart, none within 0.025 of the kink at 0.
    CHECK(check_gradients(*layer, b, distinct_tensor(Shape{2, 3, 2, 3}, 4)) == 0);
  }
}

TEST_CASE("activation layers apply their function elementwise", "[layers][activation]") {
  auto leaky = build_layer("{type: leaky_relu, negative_slope: 0.2}", {Shape{2}});
  Tensor x(Shape{1, 1, 2});
  x[0] = -1.f;
  x[1] = 2.f;
  RunContext ctx;
  Tensor y = leaky->forward(x, ctx);
  CHECK(y[0] == Approx(-0.2f));
  CHECK(y[1] == 2.f);
  auto relu = build_layer("{type: relu}", {Shape{2}});
  CHECK(relu->forward(x, ctx)[0] == 0.f);
  CHECK(relu->output_shape(Shape{3, 4, 5}) == Shape({3, 4, 5}));
  CHECK_THROWS_AS(build_layer("{type: relu, negative_slope: 0.1}", {Shape{2}}), ConfigError);
}
