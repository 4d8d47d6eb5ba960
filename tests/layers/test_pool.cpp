#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "soma/layers/pool2d.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("pooling gradients match finite differences", "[layers][pool][grad]") {
  struct Case { const char* yaml; Shape in; };
  const Case cases[] = {
      {"{type: maxpool2d, kernel: 2}", Shape{2, 4, 6}},
      {"{type: maxpool2d, kernel: 2}", Shape{2, 5, 7}},   // odd: last row/column get no window
      {"{type: maxpool2d, kernel: 2}", Shape{1, 4, 38}},  // 19 windows a row: vector + tail
      {"{type: maxpool2d, kernel: [2, 3], stride: 1}", Shape{2, 4, 5}},  // overlapping
      {"{type: maxpool2d, kernel: 17}", Shape{1, 17, 18}},  // 289 values: int32 indices
      {"{type: maxpool2d, kernel: 3, stride: 2, padding: 1}", Shape{2, 5, 5}},
      {"{type: avgpool2d, kernel: 2}", Shape{2, 4, 6}},
      {"{type: avgpool2d, kernel: [3, 2], stride: [2, 1], padding: [1, 1]}", Shape{2, 5, 4}},
      {"{type: adaptive_avgpool2d, output_size: [3, 2]}", Shape{2, 7, 5}},
      {"{type: adaptive_avgpool2d, output_size: 4}", Shape{1, 4, 4}},
      {"{type: global_avgpool2d}", Shape{3, 3, 5}},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto layer = build_layer(c.yaml, {c.in});
    BoundLayer b = bind_for_test(*layer);
    // Distinct values keep every max window's winner fixed under +-eps.
    CHECK(check_gradients(*layer, b, distinct_tensor(c.in.prepend({2, 3}), 9)) == 0);
  }
}

TEST_CASE("pooling output shapes and values", "[layers][pool]") {
  auto mp = build_layer("{type: maxpool2d, kernel: 2}", {Shape{3, 7, 8}});
  CHECK(mp->output_shape(Shape{3, 7, 8}) == Shape({3, 3, 4}));
  auto ap = build_layer("{type: avgpool2d, kernel: 3, stride: 1, padding: 1}", {Shape{1, 3, 3}});
  Tensor x = Tensor::full(Shape{1, 1, 1, 3, 3}, 9.f);
  RunContext ctx;
  Tensor y = ap->forward(x, ctx);
  REQUIRE(y.shape() == Shape({1, 1, 1, 3, 3}));
  CHECK(y[0] == Approx(4.f));  // corner: 4 of 9 cells inside, padding counts as zeros
  CHECK(y[4] == Approx(9.f));  // centre
  auto gp = build_layer("{type: global_avgpool2d}", {Shape{2, 3, 3}});
  CHECK(gp->output_shape(Shape{2, 3, 3}) == Shape({2}));
  auto ad = build_layer("{type: adaptive_avgpool2d, output_size: [2, 3]}", {Shape{2, 5, 7}});
  CHECK(ad->output_shape(Shape{2, 5, 7}) == Shape({2, 2, 3}));
}

TEST_CASE("pooling rejects bad inputs and keys", "[layers][pool]") {
  CHECK_THROWS_AS(build_layer("{type: maxpool2d, kernel: 2}", {Shape{16}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: maxpool2d, kernel: 4}", {Shape{1, 3, 3}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: maxpool2d, kernel: 0}", {Shape{1, 3, 3}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: avgpool2d, kernel: 2, padding: 2}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: avgpool2d}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: adaptive_avgpool2d, output_size: 0}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: global_avgpool2d}", {Shape{8}}), ShapeError);
  auto mp = build_layer("{type: maxpool2d, kernel: 2}", {Shape{3, 8, 8}});
  RunContext ctx;
  CHECK_THROWS_AS(mp->forward(Tensor(Shape{2, 2, 64}), ctx), ShapeError);
}
