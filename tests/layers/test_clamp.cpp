#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "soma/core/error.hpp"
#include "soma/layers/clamp.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("clamp limits values to [min, max] and passes the gradient only inside",
          "[layers][clamp]") {
  auto layer = build_layer("{type: clamp, min: 0.0, max: 1.0}", {Shape{5}});
  BoundLayer b = bind_for_test(*layer);
  Tensor x(Shape{1, 1, 5});
  const float in[5] = {-0.5f, 0.f, 0.25f, 1.f, 3.f};
  for (int i = 0; i < 5; ++i) x[i] = in[i];
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  const float want[5] = {0.f, 0.f, 0.25f, 1.f, 1.f};
  for (int i = 0; i < 5; ++i) CHECK(y[i] == want[i]);
  Tensor g = Tensor::empty(x.shape());
  g.fill(2.f);
  Tensor gx = layer->backward(g, ctx);
  const float want_g[5] = {0.f, 2.f, 2.f, 2.f, 0.f};  // bounds included, as torch.clamp
  for (int i = 0; i < 5; ++i) CHECK(gx[i] == want_g[i]);
}

TEST_CASE("clamp: gradients match finite differences away from the bounds",
          "[layers][clamp][grad]") {
  // distinct_tensor: values 0.05 apart around 0, none within 0.025 of -0.2 or 0.3.
  auto layer = build_layer("{type: clamp, min: -0.2, max: 0.3}", {Shape{2, 3}});
  BoundLayer b = bind_for_test(*layer);
  CHECK(check_gradients(*layer, b, distinct_tensor(Shape{2, 3, 2, 3}, 5, 0.05f)) == 0);
}

TEST_CASE("clamp rejects min >= max", "[layers][clamp]") {
  CHECK_THROWS_AS(build_layer("{type: clamp, min: 1.0, max: 1.0}", {Shape{2}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: clamp, lo: 0}", {Shape{2}}), ConfigError);
}
