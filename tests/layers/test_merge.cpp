#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {
MergeLayer& as_merge(std::unique_ptr<Layer>& l) {
  auto* m = dynamic_cast<MergeLayer*>(l.get());
  REQUIRE(m != nullptr);
  return *m;
}
}  // namespace

TEST_CASE("add sums inputs; gradients match finite differences", "[layers][add][grad]") {
  auto layer = build_layer("{type: add}", {Shape{2, 3}, Shape{2, 3}, Shape{2, 3}});
  MergeLayer& m = as_merge(layer);
  CHECK(m.arity() == -1);
  std::vector<Tensor> xs{random_tensor(Shape{2, 2, 2, 3}, 1), random_tensor(Shape{2, 2, 2, 3}, 2),
                         random_tensor(Shape{2, 2, 2, 3}, 3)};
  RunContext ctx;
  Tensor y = m.forward_multi(xs, ctx);
  CHECK(y[5] == Approx(xs[0][5] + xs[1][5] + xs[2][5]));
  auto grads = m.backward_multi(y, ctx);
  REQUIRE(grads.size() == 3);
  CHECK_FALSE(grads[1].same_storage(grads[0]));
  BoundLayer b = bind_for_test(*layer);
  CHECK(check_gradients_multi(m, b, xs) == 0);
  CHECK_THROWS_AS(build_layer("{type: add}", {Shape{2, 3}, Shape{3, 2}}), ShapeError);
  CHECK_THROWS_AS(m.output_shape_multi({Shape{4}}), ShapeError);
}

TEST_CASE("concat joins channels; gradients match finite differences", "[layers][concat][grad]") {
  auto layer = build_layer("{type: concat}", {Shape{2, 3, 2}, Shape{1, 3, 2}});
  MergeLayer& m = as_merge(layer);
  CHECK(m.output_shape_multi({Shape{2, 3, 2}, Shape{1, 3, 2}}) == Shape({3, 3, 2}));
  std::vector<Tensor> xs{random_tensor(Shape{2, 2, 2, 3, 2}, 1),
                         random_tensor(Shape{2, 2, 1, 3, 2}, 2)};
  RunContext ctx;
  Tensor y = m.forward_multi(xs, ctx);
  REQUIRE(y.shape() == Shape({2, 2, 3, 3, 2}));
  // Sample (t=0, n=1): channels 0-1 from x0, channel 2 from x1.
  CHECK(y[18 + 0] == xs[0][12 + 0]);
  CHECK(y[18 + 12] == xs[1][6 + 0]);
  BoundLayer b = bind_for_test(*layer);
  CHECK(check_gradients_multi(m, b, xs) == 0);
  CHECK_THROWS_AS(build_layer("{type: concat}", {Shape{2, 3, 2}, Shape{2, 3, 3}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: concat}", {Shape{2, 3, 2}, Shape{2, 6}}), ShapeError);
}
