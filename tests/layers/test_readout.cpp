#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("readout modes reduce over time to T = 1", "[layers][readout]") {
  Tensor x(Shape{3, 1, 2});
  const float v[] = {1, 5, 4, 5, 2, 0};  // steps: [1,5], [4,5], [2,0]
  for (int i = 0; i < 6; ++i) x[i] = v[i];
  RunContext ctx;
  auto mean = build_layer("{type: readout}", {Shape{2}});
  Tensor y = mean->forward(x, ctx);
  REQUIRE(y.shape() == Shape({1, 1, 2}));
  CHECK(y[0] == Approx(7.f / 3));
  CHECK(y[1] == Approx(10.f / 3));
  auto last = build_layer("{type: readout, mode: last}", {Shape{2}});
  y = last->forward(x, ctx);
  CHECK(y[0] == 2.f);
  CHECK(y[1] == 0.f);
  auto mx = build_layer("{type: readout, mode: max_over_time}", {Shape{2}});
  y = mx->forward(x, ctx);
  CHECK(y[0] == 4.f);
  CHECK(y[1] == 5.f);
  Tensor g = mx->backward(Tensor::full(Shape{1, 1, 2}, 1.f), ctx);
  // Element 1 ties at steps 0 and 1: the gradient goes to the first.
  CHECK(g[1] == 1.f);
  CHECK(g[3] == 0.f);
  CHECK(g[2] == 1.f);
  CHECK(g[0] == 0.f);
  CHECK_THROWS_AS(build_layer("{type: readout, mode: sum}", {Shape{2}}), ConfigError);
}

TEST_CASE("readout gradients match finite differences", "[layers][readout][grad]") {
  for (const char* yaml : {"{type: readout, mode: mean_over_time}", "{type: readout, mode: last}",
                           "{type: readout, mode: max_over_time}"}) {
    INFO(yaml);
    auto layer = build_layer(yaml, {Shape{2, 3}});
    BoundLayer b = bind_for_test(*layer);
    CHECK(check_gradients(*layer, b, distinct_tensor(Shape{4, 2, 2, 3}, 2)) == 0);
  }
}
