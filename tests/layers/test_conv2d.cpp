#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "soma/core/threads.hpp"
#include "soma/layers/conv2d.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("conv2d gradients match finite differences", "[layers][conv2d][grad]") {
  struct Case { const char* yaml; Shape in; };
  const Case cases[] = {
      {"{type: conv2d, out_channels: 3, kernel: 3, padding: 1}", Shape{2, 5, 5}},
      {"{type: conv2d, out_channels: 2, kernel: [3, 2], stride: [2, 1], padding: [1, 0]}", Shape{2, 6, 5}},
      {"{type: conv2d, out_channels: 4, kernel: 3, dilation: 2, padding: 2, bias: false}", Shape{1, 6, 6}},
      {"{type: conv2d, out_channels: 4, kernel: 3, groups: 2, stride: 2}", Shape{4, 7, 7}},
      {"{type: conv2d, out_channels: 3, kernel: 1}", Shape{2, 4, 3}},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto layer = build_layer(c.yaml, {c.in});
    BoundLayer b = bind_for_test(*layer);
    GradCheckOptions opt;
    opt.max_coords = 40;
    CHECK(check_gradients(*layer, b, random_tensor(c.in.prepend({2, 2}), 5), opt) == 0);
  }
}

TEST_CASE("conv2d output shape, synaptic ops and shape errors", "[layers][conv2d]") {
  auto layer = build_layer("{type: conv2d, out_channels: 8, kernel: 3, stride: 2, padding: 1}",
                           {Shape{3, 32, 31}});
  CHECK(layer->output_shape(Shape{3, 32, 31}) == Shape({8, 16, 16}));
  CHECK(layer->synaptic_ops_per_step(Shape{3, 32, 31}) == 8 * 16 * 16 * 27);
  CHECK(layer->type() == "conv2d");
  CHECK_THROWS_AS(layer->output_shape(Shape{4, 32, 32}), ShapeError);  // wrong channels
  CHECK_THROWS_AS(layer->output_shape(Shape{3 * 32 * 32}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 5}", {Shape{1, 3, 3}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3}", {Shape{12}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 4, kernel: 3, groups: 2}", {Shape{3, 8, 8}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 3, kernel: 3, groups: 2}", {Shape{4, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 0}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3, stride: 0}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3, padding: -1}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2}", {Shape{1, 8, 8}}), ConfigError);
}

TEST_CASE("conv2d is bit-identical with 1 and 2 threads", "[layers][conv2d][threads]") {
  const int saved = num_threads();
  auto layer = build_layer("{type: conv2d, out_channels: 16, kernel: 3, padding: 1}", {Shape{8, 16, 16}});
  BoundLayer b = bind_for_test(*layer);
  Tensor x = random_tensor(Shape{3, 5, 8, 16, 16}, 3);
  Tensor gy = random_tensor(Shape{3, 5, 16, 16, 16}, 4);
  RunContext ctx;
  Tensor y[2], gx[2], gw[2], gb[2];
  for (int k = 0; k < 2; ++k) {
    set_num_threads(k + 1);
    b.params[0].grad.zero();
    b.params[1].grad.zero();
    y[k] = layer->forward(x, ctx);
    gx[k] = layer->backward(gy, ctx);
    gw[k] = b.params[0].grad.clone();
    gb[k] = b.params[1].grad.clone();
  }
  set_num_threads(saved);
  CHECK(max_abs_diff(y[0], y[1]) == 0.f);
  CHECK(max_abs_diff(gx[0], gx[1]) == 0.f);
  CHECK(max_abs_diff(gw[0], gw[1]) == 0.f);
  CHECK(max_abs_diff(gb[0], gb[1]) == 0.f);
}

TEST_CASE("conv2d backward needs a training forward", "[layers][conv2d]") {
  auto layer = build_layer("{type: conv2d, out_channels: 2, kernel: 3}", {Shape{1, 5, 5}});
  bind_for_test(*layer);
  RunContext ctx;
  ctx.phase = Phase::kEval;
  Tensor y = layer->forward(random_tensor(Shape{2, 2, 1, 5, 5}, 1), ctx);
  CHECK_THROWS_AS(layer->backward(y, ctx), Error);
}
